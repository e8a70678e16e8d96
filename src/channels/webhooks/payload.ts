import type { ComponentChange, MessageView, UpdateContext } from '../channel.js';
import { statuspageComponentBodies, statuspageIncidentBody } from './statuspage-body.js';

export type WebhookEventType =
  | 'incident.created'
  | 'incident.updated'
  | 'incident.resolved'
  | 'maintenance.scheduled'
  | 'maintenance.updated'
  | 'maintenance.completed'
  | 'maintenance.cancelled';

export interface WebhookMessage {
  type: WebhookEventType;
  updateId: string;
  /** The JSON body, identical for every recipient (the signature differs). */
  body: string;
  /** Statuspage's incident body, for subscribers with `format: "statuspage"` (their unsubscribe link goes in per recipient). */
  statuspage: string;
  /** One event per component whose status the update changed, in both formats, sent after the incident's. */
  components: Array<{ componentId: string; body: string; statuspage: string }>;
}

function eventType(ctx: UpdateContext): WebhookEventType {
  const { isFirst } = ctx.update;
  // A maintenance's notices carry its own states (completed, cancelled…) in the update's status.
  const status: string = ctx.update.status;
  if (ctx.incident.maintenanceId)
    return isFirst
      ? 'maintenance.scheduled'
      : status === 'completed'
        ? 'maintenance.completed'
        : status === 'cancelled'
          ? 'maintenance.cancelled'
          : 'maintenance.updated';
  return isFirst ? 'incident.created' : status === 'resolved' ? 'incident.resolved' : 'incident.updated';
}

/** Pure: `{type, timestamp, data: {incident, update}}`, or `data: {maintenance, update}` for a maintenance's notice. */
export function renderWebhook(ctx: UpdateContext): WebhookMessage {
  const type = eventType(ctx);
  const maintenance = ctx.incident.maintenanceId;
  const body = JSON.stringify({
    type,
    timestamp: ctx.update.createdAt,
    data: {
      ...(maintenance
        ? {
            maintenance: {
              id: maintenance,
              title: ctx.incident.title,
              status: ctx.incident.status,
              url: ctx.incident.url,
              components: ctx.incident.components,
            },
          }
        : {
            incident: {
              id: ctx.incident.id,
              title: ctx.incident.title,
              status: ctx.incident.status,
              impact: ctx.incident.impact,
              startedAt: ctx.incident.startedAt,
              resolvedAt: ctx.incident.resolvedAt,
              url: ctx.incident.url,
              components: ctx.incident.components,
            },
          }),
      update: {
        id: ctx.update.id,
        status: ctx.update.status,
        message: ctx.update.message,
        createdAt: ctx.update.createdAt,
        number: ctx.update.number,
      },
    },
  });
  const statuspage = new Map(statuspageComponentBodies(ctx).map((c) => [c.componentId, JSON.stringify(c.body)]));
  const components = ctx.incident.components
    .filter((c) => statuspage.has(c.id))
    .map((c) => ({
      componentId: c.id,
      body: JSON.stringify({
        type: 'component.updated',
        timestamp: ctx.update.createdAt,
        data: {
          component: { id: c.id, name: c.name, status: c.status, previousStatus: c.previousStatus },
          // A maintenance's notice names the maintenance (its thread is no incident anyone sees).
          ...(maintenance
            ? { maintenance: { id: maintenance, title: ctx.incident.title, url: ctx.incident.url } }
            : { incident: { id: ctx.incident.id, title: ctx.incident.title, url: ctx.incident.url } }),
          update: { id: ctx.update.id },
        },
      }),
      statuspage: statuspage.get(c.id)!,
    }));
  return { type, updateId: ctx.update.id, body, statuspage: JSON.stringify(statuspageIncidentBody(ctx)), components };
}

/**
 * A component's status changed outside an incident update: `component.updated` as an update's component events
 * are, with no `incident` or `update` in its data (none caused it).
 */
export function componentChangeBody(change: ComponentChange): string {
  const { component } = change;
  return JSON.stringify({
    type: 'component.updated',
    timestamp: change.at,
    data: {
      component: {
        id: component.id,
        name: component.name,
        status: component.status,
        previousStatus: component.previousStatus,
      },
    },
  });
}

/** The JSON every endpoint receives (signed per recipient), shown indented; its size is what receivers must accept. */
export const webhookView: MessageView<WebhookMessage> = {
  preview: (message) => [
    { label: `POST body (${message.type})`, text: JSON.stringify(JSON.parse(message.body), null, 2), format: 'code' },
    ...message.components.map((c) => ({
      label: 'POST body (component.updated)',
      text: JSON.stringify(JSON.parse(c.body), null, 2),
      format: 'code' as const,
    })),
    {
      label: 'POST body for subscribers with format "statuspage"',
      text: JSON.stringify(JSON.parse(message.statuspage), null, 2),
      format: 'code',
    },
  ],
  measure: (message) => [{ label: 'Body size', value: Buffer.byteLength(message.body), unit: 'bytes' }],
};

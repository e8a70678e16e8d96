import type { MessageView, UpdateContext } from '../channel.js';

export type WebhookEventType = 'incident.created' | 'incident.updated' | 'incident.resolved';

export interface WebhookMessage {
  type: WebhookEventType;
  updateId: string;
  /** The JSON body, identical for every recipient (the signature differs). */
  body: string;
}

/** Pure: `{type, timestamp, data: {incident, update}}`. */
export function renderWebhook(ctx: UpdateContext): WebhookMessage {
  const type: WebhookEventType = ctx.update.isFirst
    ? 'incident.created'
    : ctx.update.status === 'resolved'
      ? 'incident.resolved'
      : 'incident.updated';
  const body = JSON.stringify({
    type,
    timestamp: ctx.update.createdAt,
    data: {
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
      update: {
        id: ctx.update.id,
        status: ctx.update.status,
        message: ctx.update.message,
        createdAt: ctx.update.createdAt,
        number: ctx.update.number,
      },
    },
  });
  return { type, updateId: ctx.update.id, body };
}

/** The JSON every endpoint receives (signed per recipient), shown indented; its size is what receivers must accept. */
export const webhookView: MessageView<WebhookMessage> = {
  preview: (message) => [
    { label: `POST body (${message.type})`, text: JSON.stringify(JSON.parse(message.body), null, 2), format: 'code' },
  ],
  measure: (message) => [{ label: 'Body size', value: Buffer.byteLength(message.body), unit: 'bytes' }],
};

import type { ComponentChange, UpdateContext } from '../channel.js';
import type { ComponentStatus, IncidentImpact } from '../../domain/enums.js';
import {
  FROM_COMPONENT,
  INDICATOR_DESCRIPTION,
  INDICATOR_RANK,
  type Indicator,
  isOpen,
} from '../../statuspage/model.js';

// Statuspage's webhook bodies (https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/): an
// incident body `{meta, page, incident: {…, incident_updates}}` and, for each component whose status changed,
// `{meta, page, component_update: {old_status, new_status, …}, component}`. A consumer of Statuspage's webhooks
// can subscribe with `format: "statuspage"` and keep its parser.

/** Stands in for the recipient's unsubscribe link in `meta.unsubscribe`; replaced per recipient. */
export const STATUSPAGE_UNSUBSCRIBE_PLACEHOLDER = 'HERALD-WEBHOOK-UNSUBSCRIBE-9b2e41';

const DOCUMENTATION = 'https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/';

function page(ctx: UpdateContext) {
  const impact = isOpen({ status: ctx.update.status }) ? ctx.incident.impact : 'none';
  return pageOf(ctx.site.url, ctx.incident.components, impact);
}

function pageOf(siteUrl: string, components: ReadonlyArray<{ status: ComponentStatus }>, impact: IncidentImpact) {
  let indicator: Indicator = 'none';
  const raise = (candidate: Indicator) => {
    if (INDICATOR_RANK[candidate] > INDICATOR_RANK[indicator]) indicator = candidate;
  };
  for (const c of components) raise(FROM_COMPONENT[c.status]);
  if (impact !== 'none') raise(impact);
  return {
    id: new URL(siteUrl).hostname,
    status_indicator: indicator,
    status_description: INDICATOR_DESCRIPTION[indicator],
  };
}

/** `generated_at`: when the change happened (the same on every retry of it). */
const meta = (generatedAt: string) => ({
  unsubscribe: STATUSPAGE_UNSUBSCRIBE_PLACEHOLDER,
  documentation: DOCUMENTATION,
  generated_at: generatedAt,
});

/**
 * The incident as Statuspage sends it. `incident_updates` holds this update (Herald renders from one update's
 * context), with the components it changed as `affected_components`.
 */
export function statuspageIncidentBody(ctx: UpdateContext): object {
  const { incident, update } = ctx;
  const pageInfo = page(ctx);
  const changed = incident.components.filter((c) => c.previousStatus !== undefined && c.previousStatus !== c.status);
  return {
    meta: meta(update.createdAt),
    page: pageInfo,
    incident: {
      backfilled: false,
      created_at: incident.startedAt,
      id: incident.id,
      impact: incident.impact,
      impact_override: null,
      monitoring_at: update.status === 'monitoring' ? update.createdAt : null,
      name: incident.title,
      page_id: pageInfo.id,
      postmortem_body: null,
      postmortem_ignored: false,
      postmortem_notified_subscribers: false,
      postmortem_notified_twitter: false,
      postmortem_published_at: null,
      resolved_at: incident.resolvedAt,
      scheduled_auto_transition: false,
      scheduled_for: null,
      scheduled_remind_prior: false,
      scheduled_reminded_at: null,
      scheduled_until: null,
      shortlink: incident.shortUrl,
      status: update.status,
      updated_at: update.createdAt,
      incident_updates: [
        {
          body: update.message,
          created_at: update.createdAt,
          display_at: update.createdAt,
          id: update.id,
          incident_id: incident.id,
          status: update.status,
          twitter_updated_at: null,
          updated_at: update.createdAt,
          wants_twitter_update: false,
          affected_components: changed.map((c) => ({
            code: c.id,
            name: c.name,
            old_status: c.previousStatus,
            new_status: c.status,
          })),
        },
      ],
    },
  };
}

/** One body per component whose status this update changed. */
export function statuspageComponentBodies(ctx: UpdateContext): Array<{ componentId: string; body: object }> {
  return ctx.incident.components
    .filter((c) => c.previousStatus !== undefined && c.previousStatus !== c.status)
    .map((c) => ({
      componentId: c.id,
      body: {
        meta: meta(ctx.update.createdAt),
        page: page(ctx),
        component_update: {
          created_at: ctx.update.createdAt,
          new_status: c.status,
          old_status: c.previousStatus,
          component_type: 'Component',
          id: `${ctx.update.id}-${c.id}`,
          component_id: c.id,
        },
        component: { created_at: null, id: c.id, name: c.name, status: c.status },
      },
    }));
}

/**
 * A component's status changed outside an incident update, as Statuspage sends a component update: the page's
 * indicator from every component's status now.
 */
export function statuspageComponentChangeBody(change: ComponentChange): object {
  const { component } = change;
  return {
    meta: meta(change.at),
    page: pageOf(change.site.url, change.components, 'none'),
    component_update: {
      created_at: change.at,
      new_status: component.status,
      old_status: component.previousStatus,
      component_type: 'Component',
      id: change.id,
      component_id: component.id,
    },
    component: { created_at: null, id: component.id, name: component.name, status: component.status },
  };
}

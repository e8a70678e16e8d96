import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertSource, AlertState } from '../domain/drafts.js';
import { InputError } from '../domain/errors.js';
import { describeIssues } from '../domain/schemas.js';

// The four inbound shapes, read into one: a group (the draft it attaches to) and its alerts by key. Unknown
// fields are kept out of the way, not refused: the senders add fields over versions. A missing or mistyped field
// that Herald needs is a 400 naming it.

export interface AlertBatch {
  source: AlertSource;
  groupKey: string;
  alerts: Record<string, AlertState>;
  /** For the rules' templates: labels and annotations every alert shares, and the sender's own fields. */
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** PagerDuty: an event that is not about an incident (service.updated, a note): nothing to attach. */
  skip?: string;
}

const labels = z.record(z.string(), z.string());
const NEVER = '0001-01-01T00:00:00Z';
const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 time');

const prometheusAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: time,
  endsAt: time.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

const alertmanagerBody = z.object({
  version: z.literal('4', { error: "must be '4' (Alertmanager's webhook version)" }),
  groupKey: z.string().min(1),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  alerts: z.array(prometheusAlert).min(1, 'must hold at least one alert'),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().optional(),
  truncatedAlerts: z.number().int().optional(),
});

// Grafana's contact point sends Alertmanager's body (its own version '1') with a few fields of its own.
const grafanaBody = alertmanagerBody.extend({
  version: z.string().optional(),
  orgId: z.number().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
});

const pagerdutyBody = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string(),
    occurred_at: time,
    data: z.looseObject({
      id: z.string().min(1),
      type: z.string(),
      title: z.string().optional(),
      status: z.string().optional(),
      urgency: z.string().optional(),
      html_url: z.string().optional(),
      service: z.looseObject({ summary: z.string().optional(), id: z.string().optional() }).nullish(),
      incident: z.looseObject({ id: z.string() }).optional(),
    }),
  }),
});

export const genericBody = z.strictObject({
  id: z.string().trim().min(1, 'must not be empty').max(255),
  status: z.enum(['firing', 'resolved']),
  title: z.string().trim().min(1, 'must not be empty').max(255),
  message: z.string().max(20_000).optional(),
  component: z.string().max(255).optional(),
  severity: z.string().max(64).optional(),
});

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    throw InputError.field('(body)', 'must be a JSON object');
  const result = schema.safeParse(body);
  if (!result.success) throw new InputError(describeIssues(result.error).details);
  return result.data;
}

/** An alert's key: Alertmanager's fingerprint, or a hash of its labels when a sender leaves it out. */
function alertKey(alert: z.infer<typeof prometheusAlert>): string {
  if (alert.fingerprint) return alert.fingerprint;
  const sorted = Object.keys(alert.labels)
    .sort()
    .map((k) => `${k}=${alert.labels[k]}`)
    .join(',');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

function prometheusAlerts(alerts: Array<z.infer<typeof prometheusAlert>>, receivedAt: string) {
  const out: Record<string, AlertState> = {};
  for (const alert of alerts) {
    const ended = alert.endsAt && alert.endsAt !== NEVER ? alert.endsAt : undefined;
    out[alertKey(alert)] = {
      status: alert.status,
      // A resend repeats startsAt (firing) or endsAt (resolved): the same `at`, so it changes nothing.
      at: new Date(alert.status === 'firing' ? alert.startsAt : (ended ?? receivedAt)).toISOString(),
      startsAt: alert.startsAt,
      ...(ended ? { endsAt: ended } : {}),
      labels: alert.labels,
      annotations: alert.annotations,
      ...(alert.generatorURL ? { url: alert.generatorURL } : {}),
    };
  }
  return out;
}

export function readAlertmanager(body: unknown, receivedAt: string): AlertBatch {
  const b = parse(alertmanagerBody, body);
  return {
    source: 'alertmanager',
    groupKey: b.groupKey,
    alerts: prometheusAlerts(b.alerts, receivedAt),
    commonLabels: b.commonLabels,
    commonAnnotations: b.commonAnnotations,
  };
}

export function readGrafana(body: unknown, receivedAt: string): AlertBatch {
  const b = parse(grafanaBody, body);
  return {
    source: 'grafana',
    groupKey: b.groupKey,
    alerts: prometheusAlerts(b.alerts, receivedAt),
    commonLabels: b.commonLabels,
    commonAnnotations: b.commonAnnotations,
  };
}

const PD_URGENCY_SEVERITY: Record<string, string> = { high: 'critical', low: 'warning' };

/**
 * A PagerDuty incident is one group with one alert. incident.resolved resolves it; every other incident event
 * (triggered, reopened, acknowledged, escalated…) means it is open. `at` is the event's occurred_at, so a retry,
 * or an event that arrives after a later one, changes nothing.
 */
export function readPagerDuty(body: unknown): AlertBatch {
  const { event } = parse(pagerdutyBody, body);
  const data = event.data;
  if (event.resource_type !== 'incident' || data.type !== 'incident') {
    return {
      source: 'pagerduty',
      groupKey: data.incident?.id ?? data.id,
      alerts: {},
      commonLabels: {},
      commonAnnotations: {},
      skip: `${event.event_type} is not an incident state change`,
    };
  }
  if (!data.title) throw InputError.field('event.data.title', 'is required on an incident event');
  const labels: Record<string, string> = {
    alertname: data.title,
    ...(data.service?.summary ? { component: data.service.summary, service: data.service.summary } : {}),
    ...(data.urgency ? { urgency: data.urgency, severity: PD_URGENCY_SEVERITY[data.urgency] ?? data.urgency } : {}),
  };
  const annotations = { summary: data.title };
  return {
    source: 'pagerduty',
    groupKey: data.id,
    alerts: {
      [data.id]: {
        status: event.event_type === 'incident.resolved' ? 'resolved' : 'firing',
        at: new Date(event.occurred_at).toISOString(),
        labels,
        annotations,
        ...(data.html_url ? { url: data.html_url } : {}),
      },
    },
    commonLabels: labels,
    commonAnnotations: annotations,
  };
}

export function readGeneric(body: unknown, receivedAt: string): AlertBatch {
  const b = parse(genericBody, body);
  const labels: Record<string, string> = {
    alertname: b.title,
    ...(b.component ? { component: b.component } : {}),
    ...(b.severity ? { severity: b.severity } : {}),
  };
  const annotations: Record<string, string> = {
    summary: b.title,
    ...(b.message ? { description: b.message } : {}),
  };
  return {
    source: 'generic',
    groupKey: b.id,
    alerts: { [b.id]: { status: b.status, at: receivedAt, labels, annotations } },
    commonLabels: labels,
    commonAnnotations: annotations,
  };
}

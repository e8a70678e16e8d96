import type {
  ComponentStatus,
  DeliveryState,
  IncidentImpact,
  IncidentStatus,
  MaintenanceStatus,
  NoticeStatus,
} from './enums.js';

export interface Component {
  id: string;
  name: string;
  group: string | null;
  description: string | null;
  position: number;
  status: ComponentStatus;
  createdAt: string;
  updatedAt: string;
}

export interface AffectedComponent {
  id: string;
  name: string;
  status: ComponentStatus;
}

export interface Incident {
  id: string;
  title: string;
  status: IncidentStatus;
  impact: IncidentImpact;
  startedAt: string;
  resolvedAt: string | null;
  postmortem: string | null;
  postmortemPublishedAt: string | null;
  createdAt: string;
  updatedAt: string;
  components: AffectedComponent[];
  /** Only on the row that threads a maintenance's notices (never listed as an incident). */
  maintenanceId?: string;
}

/** A saved incident a commander opens one from: its fields fill whatever the request leaves out. */
export interface IncidentTemplate {
  id: string;
  name: string;
  title: string;
  message: string;
  /** null: the request's impact, or the default (minor). */
  impact: IncidentImpact | null;
  /** The incident's initial status; null: the request's, or the default (investigating). */
  status: IncidentStatus | null;
  /** The components it affects (deleted ones are dropped), each with the status it gives them. */
  components: AffectedComponent[];
  createdAt: string;
  updatedAt: string;
}

export interface IncidentUpdate {
  id: string;
  incidentId: string;
  status: IncidentStatus;
  message: string;
  /** Affected components and their status as of this update. */
  components: AffectedComponent[];
  channels: string[];
  /** The commander's own text for the social posts (X, Mastodon, Bluesky), when given. */
  socialText?: string;
  createdAt: string;
}

export interface IncidentWithUpdates extends Incident {
  updates: IncidentUpdate[];
}

export interface Maintenance {
  id: string;
  title: string;
  message: string;
  status: MaintenanceStatus;
  scheduledFor: string;
  scheduledUntil: string;
  components: AffectedComponent[];
  /** Where its notices go; null: every enabled channel. */
  channels: string[] | null;
  /** Set when cancelled (its status is then `completed`). */
  cancelledAt: string | null;
  /** When its "starts soon" notice went out. */
  remindedAt: string | null;
  /** How many times it changed after it was scheduled (edits, updates, start, end, cancellation). */
  revision: number;
  /** Its notices, newest first: each went out like an incident update (GET /api/v1/updates/ID/deliveries). */
  updates: MaintenanceNotice[];
  createdAt: string;
  updatedAt: string;
}

export interface MaintenanceNotice {
  id: string;
  status: NoticeStatus;
  message: string;
  channels: string[];
  createdAt: string;
}

export type SubscriberKind = 'email' | 'sms' | 'webhook';

export interface Subscriber {
  id: string;
  kind: SubscriberKind;
  email: string | null;
  phone: string | null;
  webhookUrl: string | null;
  /** Empty means every component. */
  components: string[];
  confirmed: boolean;
  confirmedAt: string | null;
  createdAt: string;
  /** Webhook subscribers: the body they receive (Herald's own, or Statuspage's webhook body). */
  format?: WebhookFormat;
}

export type WebhookFormat = 'herald' | 'statuspage';

export interface Delivery {
  id: string;
  updateId: string;
  incidentId: string;
  channel: string;
  state: DeliveryState;
  /** Bumped by a manual retry, so the retried job gets a fresh id. */
  generation: number;
  attempts: number;
  externalId: string | null;
  externalUrl: string | null;
  externalMeta: Record<string, string> | null;
  error: string | null;
  rateLimitedUntil: string | null;
  total: number;
  delivered: number;
  failed: number;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

/** A post a channel made earlier, as recorded on its delivery row. */
export interface PostRef {
  externalId: string;
  externalUrl?: string | null;
  meta?: Record<string, string> | null;
}

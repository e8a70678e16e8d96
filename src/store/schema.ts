// Times are ISO-8601 UTC strings in both databases: portable, and they sort as text.

export interface ComponentsTable {
  id: string;
  name: string;
  group_name: string | null;
  description: string | null;
  position: number;
  status: string;
  created_at: string;
  updated_at: string;
  /** Set when deleted: gone from the page and every choice, still named by the incidents that affected it. */
  deleted_at?: string | null;
}

export interface IncidentsTable {
  id: string;
  title: string;
  status: string;
  impact: string;
  started_at: string;
  resolved_at: string | null;
  postmortem_body: string | null;
  postmortem_published_at: string | null;
  created_at: string;
  updated_at: string;
  /** Set on the row that threads a maintenance's notices: never shown or counted as an incident. */
  maintenance_id?: string | null;
}

export interface IncidentComponentsTable {
  incident_id: string;
  component_id: string;
  status: string;
}

export interface IncidentUpdatesTable {
  id: string;
  incident_id: string;
  number: number;
  status: string;
  message: string;
  /** JSON: [{id, name, status}] as of this update. */
  components_json: string;
  /** JSON: channel names targeted. */
  channels_json: string;
  /** The commander's own text for the social posts, instead of the message (null: rendered from it). */
  social_text: string | null;
  created_at: string;
}

export interface MaintenancesTable {
  id: string;
  title: string;
  message: string;
  status: string;
  scheduled_for: string;
  scheduled_until: string;
  created_at: string;
  updated_at: string;
  /** JSON: channel names its notices go to; null: every enabled channel. */
  channels_json?: string | null;
  cancelled_at?: string | null;
  /** When the "starts soon" notice went out (claimed once across processes). */
  reminded_at?: string | null;
  /** The incidents row its notices are threaded on. */
  thread_id?: string | null;
  /** Changes since it was scheduled: the SEQUENCE of its event in maintenances.ics. */
  revision?: number;
}

export interface MaintenanceComponentsTable {
  maintenance_id: string;
  component_id: string;
}

export interface DeliveriesTable {
  id: string;
  update_id: string;
  incident_id: string;
  /** The update's number in its incident (incident_updates.number), for the thread lookups. */
  update_number: number;
  channel: string;
  state: string;
  generation: number;
  attempts: number;
  external_id: string | null;
  external_url: string | null;
  external_meta_json: string | null;
  error: string | null;
  rate_limited_until: string | null;
  total: number;
  delivered: number;
  failed: number;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface SubscribersTable {
  id: string;
  kind: string;
  /** Normalised address: lower-cased email, E.164 phone or the webhook URL. */
  address: string;
  components_json: string;
  confirmed_at: string | null;
  secret: string | null;
  created_at: string;
  updated_at: string;
  /** 002: active | suppressed | disabled | quarantined. */
  state: string;
  failure_count: number;
  last_error: string | null;
  confirmation_sent_at: string | null;
  /** 008: 'statuspage' for Statuspage's webhook body; null for Herald's own. */
  webhook_format: string | null;
}

/** 002: unsubscribed/bounced addresses as an HMAC of the address. */
export interface SuppressionsTable {
  kind: string;
  address_hash: string;
  reason: string;
  created_at: string;
}

/** 002: planning progress of one audience delivery. */
export interface FanoutsTable {
  delivery_id: string;
  generation: number;
  cursor: string | null;
  pages: number;
  planned: number;
  updated_at: string;
}

/** 002: one page of recipients (subscriber ids in (after_id, last_id]); one job per page. */
export interface FanoutPagesTable {
  delivery_id: string;
  generation: number;
  seq: number;
  after_id: string;
  last_id: string;
  count: number;
  done: number;
}

/** 002: one row per (update, channel, recipient): pending → sending → sent | failed | skipped. */
export interface RecipientDeliveriesTable {
  delivery_id: string;
  subscriber_id: string;
  state: string;
  attempts: number;
  external_id: string | null;
  error: string | null;
  updated_at: string;
}

export interface IdempotencyKeysTable {
  key: string;
  request_hash: string;
  status_code: number | null;
  response_json: string | null;
  created_at: string;
}

export interface ConsoleUsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  created_at: string;
  updated_at: string;
}

export interface ConsoleSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface ConsolePostmortemDraftsTable {
  incident_id: string;
  body: string;
  updated_by: string;
  updated_at: string;
}

/** 004: one reminder per (incident, due time) to the commanders' chat. */
export interface ConsoleCadenceRemindersTable {
  incident_id: string;
  due_at: string;
  state: string;
  attempts: number;
  error: string | null;
  created_at: string;
  updated_at: string;
}

/** 004: one "maintenance starts soon" email per (maintenance, subscriber). */
export interface ConsoleMaintenanceRemindersTable {
  maintenance_id: string;
  subscriber_id: string;
  state: string;
  attempts: number;
  error: string | null;
  updated_at: string;
}

/** 007: an incident proposed by alerts, not published (see migrations/007_alert_drafts.ts). */
export interface IncidentDraftsTable {
  id: string;
  source: string;
  group_key: string;
  rule: string;
  state: string;
  title: string;
  message: string;
  status: string;
  impact: string;
  components_json: string;
  channels_json: string | null;
  alerts_json: string;
  auto_resolve: number;
  autopublish_at: string | null;
  resolved_at: string | null;
  closed_by: string | null;
  paged_at: string | null;
  reminded_due_at: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  dismissed_at: string | null;
}

/** 007: which draft an alert group attaches to. */
export interface AlertGroupsTable {
  source: string;
  group_key: string;
  draft_id: string;
  updated_at: string;
}

/** 009: each status page target's publishing state. */
export interface StatuspageTargetsTable {
  channel: string;
  target: string;
  published_stamp: string | null;
  published_at: string | null;
  behind_since: string | null;
  failures: number;
  last_error: string | null;
  last_error_at: string | null;
  next_attempt_at: string | null;
  updated_at: string;
}

/** One change of a component's status (what the page shows), for the daily uptime bars. */
export interface ComponentStatusChangesTable {
  id: string;
  component_id: string;
  status: string;
  at: string;
}

/** A saved incident: what a commander picks to open one (see migration 012). */
export interface IncidentTemplatesTable {
  id: string;
  name: string;
  /** The name trimmed and lower-cased: unique. */
  name_key: string;
  title: string;
  message: string;
  impact: string | null;
  status: string | null;
  created_at: string;
  updated_at: string;
}

export interface IncidentTemplateComponentsTable {
  template_id: string;
  component_id: string;
  status: string;
}

export interface ComponentEventsTable {
  id: string;
  component_id: string;
  old_status: string;
  new_status: string;
  at: string;
  done_at: string | null;
  /** 015: the component's name at the change (null on rows written before). */
  component_name: string | null;
  /** 015: every component's status right after the change, a JSON array of each status once (null before). */
  page_statuses: string | null;
  /** 015: when the recipients were listed (once: a retry sends to those rows only). */
  recipients_listed_at: string | null;
}

export interface ComponentEventRecipientsTable {
  event_id: string;
  channel: string;
  subscriber_id: string;
  state: 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
  attempts: number;
  error: string | null;
  updated_at: string;
}

export interface Database {
  components: ComponentsTable;
  component_events: ComponentEventsTable;
  component_event_recipients: ComponentEventRecipientsTable;
  component_status_changes: ComponentStatusChangesTable;
  incidents: IncidentsTable;
  incident_components: IncidentComponentsTable;
  incident_updates: IncidentUpdatesTable;
  maintenances: MaintenancesTable;
  maintenance_components: MaintenanceComponentsTable;
  deliveries: DeliveriesTable;
  subscribers: SubscribersTable;
  suppressions: SuppressionsTable;
  fanouts: FanoutsTable;
  fanout_pages: FanoutPagesTable;
  recipient_deliveries: RecipientDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
  console_users: ConsoleUsersTable;
  console_sessions: ConsoleSessionsTable;
  console_postmortem_drafts: ConsolePostmortemDraftsTable;
  console_cadence_reminders: ConsoleCadenceRemindersTable;
  console_maintenance_reminders: ConsoleMaintenanceRemindersTable;
  incident_drafts: IncidentDraftsTable;
  alert_groups: AlertGroupsTable;
  statuspage_targets: StatuspageTargetsTable;
  incident_templates: IncidentTemplatesTable;
  incident_template_components: IncidentTemplateComponentsTable;
}

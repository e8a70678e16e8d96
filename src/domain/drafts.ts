import type { ComponentStatus, IncidentImpact, IncidentStatus } from './enums.js';
import type { AffectedComponent } from './types.js';

export const ALERT_SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export type DraftState = 'draft' | 'published' | 'dismissed';

/** One alert of a group as Herald last saw it; `at`: when its status last changed, by the sender's clock. */
export interface AlertState {
  status: 'firing' | 'resolved';
  at: string;
  startsAt?: string;
  endsAt?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  url?: string;
}

/** An incident proposed by alerts: on no public page and sent nowhere until it is published. */
export interface Draft {
  id: string;
  state: DraftState;
  /** True while the draft waits for a commander (state 'draft'). */
  draft: boolean;
  source: AlertSource;
  groupKey: string;
  rule: string;
  title: string;
  message: string;
  status: IncidentStatus;
  impact: IncidentImpact;
  components: AffectedComponent[];
  /** Where a holding statement goes; null: every enabled channel. */
  channels: string[] | null;
  alerts: Array<AlertState & { key: string }>;
  firing: number;
  autoResolve: boolean;
  /** When the holding statement goes out if nobody publishes or dismisses the draft first; null: never. */
  autoPublishAt: string | null;
  /** When every alert of the group was last seen resolved; null while one fires. */
  resolvedAt: string | null;
  closedBy: 'commander' | 'alerts' | 'holding' | null;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  dismissedAt: string | null;
}

/** What a rule proposes for a new draft. */
export interface DraftProposal {
  id: string;
  rule: string;
  title: string;
  message: string;
  status: IncidentStatus;
  impact: IncidentImpact;
  components: Array<{ id: string; name: string; status: ComponentStatus }>;
  channels: string[] | null;
  autoResolve: boolean;
  autoPublishAt: string | null;
}

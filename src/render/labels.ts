import type { ComponentStatus, IncidentImpact, UpdateStatus } from '../domain/enums.js';

export const INCIDENT_STATUS_LABEL: Record<UpdateStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
  // A maintenance's notices.
  scheduled: 'Scheduled maintenance',
  in_progress: 'Maintenance in progress',
  verifying: 'Maintenance verifying',
  completed: 'Maintenance completed',
  cancelled: 'Maintenance cancelled',
};

export const COMPONENT_STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

export const IMPACT_LABEL: Record<IncidentImpact, string> = {
  none: 'None',
  minor: 'Minor',
  major: 'Major',
  critical: 'Critical',
};

/** "Tue, 29 Nov 2026 04:42 UTC": the same in every channel, never the reader's local zone guessed. */
const DATE = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: '2-digit',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'UTC' });

export function formatUtc(iso: string): string {
  const d = new Date(iso);
  return `${DATE.format(d).replace(/,/g, '')} ${TIME.format(d)} UTC`;
}

/** "29 Nov 2026", the UTC day. One formatter for the process: toLocaleDateString with options builds one a call. */
const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

export function formatDayUtc(date: Date | string): string {
  return DAY.format(typeof date === 'string' ? new Date(date) : date);
}

/** "Acme status", or the name as it is when it already says so ("Status", "Acme Status"): never "Status status". */
export function statusTitle(siteName: string): string {
  return /(^|\s)status$/i.test(siteName.trim()) ? siteName.trim() : `${siteName} status`;
}

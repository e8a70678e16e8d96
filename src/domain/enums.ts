// Value sets shared with the Statuspage public API, so existing consumers read Herald unchanged.
export const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const INCIDENT_IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
export type IncidentImpact = (typeof INCIDENT_IMPACTS)[number];

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

/**
 * The status a maintenance's notice carries on every channel: its status then, or `cancelled`. Notices travel as
 * updates of the maintenance's thread (see src/pipeline/maintenance.ts), so channels label them like incident updates.
 */
export type NoticeStatus = MaintenanceStatus | 'cancelled';
/** What a channel may find in an update's status: an incident's, or a maintenance notice's. */
export type UpdateStatus = IncidentStatus | NoticeStatus;

export const DELIVERY_STATES = ['pending', 'delivering', 'delivered', 'partial', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** States after which a delivery needs no more work. */
export const SETTLED_DELIVERY_STATES: readonly DeliveryState[] = ['delivered', 'partial', 'failed', 'skipped'];

/** Worst first: used to pick the status a component shows when several things affect it. */
export const COMPONENT_STATUS_SEVERITY: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

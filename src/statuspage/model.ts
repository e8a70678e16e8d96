// What the page shows, derived from records: overall indicator, groups, maintenance windows and history bars.
import { COMPONENT_STATUS_SEVERITY, type ComponentStatus, type IncidentImpact } from '../domain/enums.js';
import type { Component, IncidentWithUpdates, Maintenance } from '../domain/types.js';

export type Indicator = 'none' | 'minor' | 'major' | 'critical';

export const INDICATOR_DESCRIPTION: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
};

export const INDICATOR_RANK: Record<Indicator, number> = { none: 0, minor: 1, major: 2, critical: 3 };
export const FROM_COMPONENT: Record<ComponentStatus, Indicator> = {
  operational: 'none',
  under_maintenance: 'none',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

export const isOpen = (i: { status: string }) =>
  i.status === 'investigating' || i.status === 'identified' || i.status === 'monitoring';

/** Worst of the open incidents' impact and the components' statuses, as Statuspage computes its indicator. */
export function overallStatus(components: Component[], incidents: IncidentWithUpdates[], maintenances: Maintenance[]) {
  let indicator: Indicator = 'none';
  const raise = (candidate: Indicator) => {
    if (INDICATOR_RANK[candidate] > INDICATOR_RANK[indicator]) indicator = candidate;
  };
  for (const c of components) raise(FROM_COMPONENT[c.status]);
  for (const i of incidents) if (isOpen(i)) raise(i.impact as IncidentImpact);
  const maintaining = maintenances.some((m) => m.status === 'in_progress' || m.status === 'verifying');
  const description =
    indicator === 'none' && maintaining ? 'Scheduled Maintenance In Progress' : INDICATOR_DESCRIPTION[indicator];
  return { indicator, description };
}

export interface ComponentGroup {
  id: string;
  name: string | null;
  status: ComponentStatus;
  components: Component[];
  position: number;
}

/** Components by their `group` field, in position order; ungrouped components form an unnamed group. */
export function groupComponents(components: Component[], groupId: (name: string) => string): ComponentGroup[] {
  const groups = new Map<string, ComponentGroup>();
  for (const c of components) {
    const key = c.group ?? '';
    let g = groups.get(key);
    if (!g) {
      g = {
        id: c.group ? groupId(c.group) : '',
        name: c.group,
        status: 'operational',
        components: [],
        position: c.position,
      };
      groups.set(key, g);
    }
    g.components.push(c);
    if (COMPONENT_STATUS_SEVERITY[c.status] > COMPONENT_STATUS_SEVERITY[g.status]) g.status = c.status;
  }
  return [...groups.values()];
}

export const activeMaintenances = (ms: Maintenance[]) =>
  ms.filter((m) => m.status === 'in_progress' || m.status === 'verifying');
export const upcomingMaintenances = (ms: Maintenance[]) => ms.filter((m) => m.status === 'scheduled');

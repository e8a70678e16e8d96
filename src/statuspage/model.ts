// What the page shows, derived from records: overall indicator, groups, maintenance windows and history bars.
import { COMPONENT_STATUS_SEVERITY, type ComponentStatus, type IncidentImpact } from '../domain/enums.js';
import { formatDayUtc } from '../render/labels.js';
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

export interface BarSegment {
  /** 0 operational … 4 major outage (COMPONENT_STATUS_SEVERITY). */
  severity: number;
  days: number;
  /** Set on segments with something to tell: "12 May – 13 May 2026: Partial outage". */
  label?: string;
}

const DAY = 86_400_000;
const STATUS_BY_SEVERITY = Object.fromEntries(
  Object.entries(COMPONENT_STATUS_SEVERITY).map(([status, severity]) => [severity, status]),
) as Record<number, ComponentStatus>;

/**
 * Per component, the worst status of each of the last `days` UTC days, from incident updates (the worst status
 * any update gave the component) and maintenances that have started; run-length encoded to keep pages small.
 */
export function historyBars(
  components: Component[],
  incidents: IncidentWithUpdates[],
  maintenances: Maintenance[],
  now: Date,
  days: number,
): Map<string, { segments: BarSegment[]; affectedDays: number }> {
  const today = Math.floor(now.getTime() / DAY);
  const first = today - days + 1;
  const grid = new Map<string, Uint8Array>(components.map((c) => [c.id, new Uint8Array(days)]));
  const mark = (componentId: string, fromIso: string, toIso: string | null, severity: number) => {
    const row = grid.get(componentId);
    if (!row) return;
    const from = Math.max(first, Math.floor(Date.parse(fromIso) / DAY));
    const to = Math.min(today, Math.floor((toIso ? Date.parse(toIso) : now.getTime()) / DAY));
    for (let d = from; d <= to; d++) if (row[d - first]! < severity) row[d - first] = severity;
  };
  for (const incident of incidents) {
    const worst = new Map<string, number>();
    for (const u of incident.updates) {
      for (const c of u.components)
        worst.set(c.id, Math.max(worst.get(c.id) ?? 0, COMPONENT_STATUS_SEVERITY[c.status]));
    }
    for (const c of incident.components)
      worst.set(c.id, Math.max(worst.get(c.id) ?? 0, COMPONENT_STATUS_SEVERITY[c.status]));
    for (const [id, severity] of worst) if (severity > 0) mark(id, incident.startedAt, incident.resolvedAt, severity);
  }
  for (const m of maintenances) {
    if (m.status === 'scheduled') continue;
    for (const c of m.components)
      mark(
        c.id,
        m.scheduledFor,
        m.status === 'completed' ? m.scheduledUntil : null,
        COMPONENT_STATUS_SEVERITY.under_maintenance,
      );
  }
  const result = new Map<string, { segments: BarSegment[]; affectedDays: number }>();
  for (const [id, row] of grid) {
    const segments: BarSegment[] = [];
    let affectedDays = 0;
    let start = 0;
    for (let d = 1; d <= days; d++) {
      if (d < days && row[d] === row[start]) continue;
      const severity = row[start]!;
      const segment: BarSegment = { severity, days: d - start };
      if (severity > 0) {
        affectedDays += d - start;
        const range =
          d - start === 1 ? dayLabel(first + start) : `${dayLabel(first + start)} – ${dayLabel(first + d - 1)}`;
        segment.label = `${range}: ${STATUS_BY_SEVERITY[severity]!.replace(/_/g, ' ')}`;
      }
      segments.push(segment);
      start = d;
    }
    result.set(id, { segments, affectedDays });
  }
  return result;
}

const dayLabel = (day: number) => formatDayUtc(new Date(day * DAY));

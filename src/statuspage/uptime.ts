// Daily uptime from each component's status changes, as Statuspage's "uptime showcase" draws it: one segment per
// UTC day, coloured by how much downtime the day had, and a percentage over the whole window.
import type { ComponentStatus } from '../domain/enums.js';
import type { Component } from '../domain/types.js';
import { COMPONENT_STATUS_LABEL, formatDayUtc } from '../render/labels.js';

/** How much of a minute in each status counts as downtime (Statuspage's weights: a partial outage is 30 %). */
export const DOWNTIME_WEIGHT: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 0,
  partial_outage: 0.3,
  major_outage: 1,
};

/** A day with at least this much weighted downtime shows red; less (but some) shows orange. */
export const MAJOR_DAY_DOWNTIME_MS = 2 * 3_600_000;

/** `n`: before the component existed; 0 up; 1 maintenance; 2 degraded; 3 some downtime; 4 much downtime. */
export type DayLevel = 'n' | 0 | 1 | 2 | 3 | 4;

export interface UptimeDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  level: DayLevel;
  /** Known time of the day, and of it the weighted downtime, in ms. */
  observedMs: number;
  downMs: number;
  /** Time spent in each non-operational status, ms. */
  spent: Partial<Record<ComponentStatus, number>>;
}

export interface UptimeRow {
  days: UptimeDay[];
  /** Percentage over the known part of the window; null when nothing of it is known. */
  uptime: number | null;
}

const DAY = 86_400_000;

export interface StatusChangeLike {
  status: ComponentStatus;
  at: string;
}

/**
 * Per component, its last `days` UTC days (today included, up to `now`). Changes are the component's status
 * changes in the window, led by the one in force at its start; a component known from before its first recorded
 * change (created before changes were kept) counts as operational from its creation.
 */
export function dailyUptime(
  components: Component[],
  changes: Map<string, StatusChangeLike[]>,
  now: Date,
  days: number,
): Map<string, UptimeRow> {
  const end = now.getTime();
  const firstDay = Math.floor(end / DAY) - days + 1;
  const windowStart = firstDay * DAY;
  const result = new Map<string, UptimeRow>();
  for (const c of components) {
    const timeline = [...(changes.get(c.id) ?? [])];
    if (timeline.length === 0 || timeline[0]!.at > c.createdAt)
      timeline.unshift({ status: 'operational', at: c.createdAt });
    const cells: UptimeDay[] = Array.from({ length: days }, (_, i) => ({
      day: isoDay(firstDay + i),
      level: 'n',
      observedMs: 0,
      downMs: 0,
      spent: {},
    }));
    for (let i = 0; i < timeline.length; i++) {
      const { status } = timeline[i]!;
      const from = Math.max(Date.parse(timeline[i]!.at), windowStart);
      const to = Math.min(i + 1 < timeline.length ? Date.parse(timeline[i + 1]!.at) : end, end);
      for (let t = from; t < to; ) {
        const d = Math.floor(t / DAY);
        const until = Math.min(to, (d + 1) * DAY);
        const cell = cells[d - firstDay];
        if (cell) {
          const ms = until - t;
          cell.observedMs += ms;
          cell.downMs += ms * DOWNTIME_WEIGHT[status];
          if (status !== 'operational') cell.spent[status] = (cell.spent[status] ?? 0) + ms;
        }
        t = until;
      }
    }
    let observed = 0;
    let down = 0;
    for (const cell of cells) {
      observed += cell.observedMs;
      down += cell.downMs;
      cell.level = levelOf(cell);
    }
    result.set(c.id, { days: cells, uptime: observed > 0 ? (100 * (observed - down)) / observed : null });
  }
  return result;
}

function levelOf(cell: UptimeDay): DayLevel {
  if (cell.observedMs === 0) return 'n';
  if (cell.downMs >= MAJOR_DAY_DOWNTIME_MS) return 4;
  if (cell.downMs > 0) return 3;
  if (cell.spent.degraded_performance) return 2;
  if (cell.spent.under_maintenance) return 1;
  return 0;
}

/**
 * A group's days: each day the worst of its components' levels, its uptime the mean of theirs (the components
 * known on the day; a group with none known has no data).
 */
export function groupUptime(rows: UptimeRow[]): UptimeRow {
  if (rows.length === 0) return { days: [], uptime: null };
  const days = rows[0]!.days.map((first, i) => {
    const cell: UptimeDay = { day: first.day, level: 'n', observedMs: 0, downMs: 0, spent: {} };
    for (const row of rows) {
      const d = row.days[i]!;
      if (d.level !== 'n' && (cell.level === 'n' || d.level > cell.level)) cell.level = d.level;
      cell.observedMs += d.observedMs;
      cell.downMs += d.downMs;
      for (const [status, ms] of Object.entries(d.spent) as Array<[ComponentStatus, number]>)
        cell.spent[status] = (cell.spent[status] ?? 0) + ms;
    }
    return cell;
  });
  const known = rows.filter((r) => r.uptime !== null).map((r) => r.uptime!);
  return { days, uptime: known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null };
}

/** "99.86%": rounded down, so any downtime keeps it under 100%. */
export function formatUptime(uptime: number | null): string {
  if (uptime === null) return 'no data';
  return `${(Math.floor(uptime * 100) / 100).toFixed(2)}%`;
}

/** "6 May 2026: major outage 2 min (99.86%)", or "6 May 2026: no data". */
export function dayLabel(cell: UptimeDay): string {
  const date = formatDayUtc(new Date(`${cell.day}T00:00:00Z`));
  if (cell.level === 'n') return `${date}: no data`;
  const parts = (['major_outage', 'partial_outage', 'degraded_performance', 'under_maintenance'] as const)
    .filter((s) => cell.spent[s])
    .map((s) => `${COMPONENT_STATUS_LABEL[s].toLowerCase()} ${duration(cell.spent[s]!)}`);
  const uptime = formatUptime((100 * (cell.observedMs - cell.downMs)) / cell.observedMs);
  return parts.length === 0 ? `${date}: no downtime (${uptime})` : `${date}: ${parts.join(', ')} (${uptime})`;
}

function duration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

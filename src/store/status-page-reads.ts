// What the status site reads: in bulk (a few queries per build, never one per incident).
import type { ComponentStatus } from '../domain/enums.js';
import type {
  AffectedComponent,
  Component,
  IncidentUpdate,
  IncidentWithUpdates,
  Maintenance,
} from '../domain/types.js';
import { listComponents } from './components-repo.js';
import type { Executor } from './executor.js';
import { toIncident, toUpdate } from './incidents-repo.js';
import { getMaintenances } from './maintenances-repo.js';

const OPEN = ['investigating', 'identified', 'monitoring'];
const CHUNK = 500;

export interface StatusPageSnapshot {
  components: Component[];
  /** Unresolved, started within the bar window, or among the most recent: enough for index, JSON and feeds. */
  recent: IncidentWithUpdates[];
  maintenances: Maintenance[];
  /** maintenances.ics: those not over yet, and those over (cancelled too) that changed since `calendarSince`. */
  calendar: Maintenance[];
  /** 'YYYY-MM' → number of incidents started that month, newest month first. */
  months: Array<{ month: string; count: number }>;
  /** Per component, its status changes since `since` (oldest first), led by the last one before it. */
  statusChanges: Map<string, StatusChange[]>;
}

export interface StatusChange {
  status: ComponentStatus;
  at: string;
}

/** Components, maintenances, the recent incidents and the count per month: what the index, JSON and feeds show. */
export async function statusPageSnapshot(
  db: Executor,
  options: { since: string; recentLimit: number; calendarSince: string },
): Promise<StatusPageSnapshot> {
  const [components, maintenances, calendar, latest, windowed, monthRows, statusChanges] = await Promise.all([
    listComponents(db),
    getMaintenances(db),
    getMaintenances(db, { includeCancelled: true, openOrChangedSince: options.calendarSince }),
    db
      .selectFrom('incidents')
      .select('id')
      .where('maintenance_id', 'is', null)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.recentLimit)
      .execute(),
    db
      .selectFrom('incidents')
      .select('id')
      .where('maintenance_id', 'is', null)
      .where((eb) =>
        eb.or([
          eb('started_at', '>=', options.since),
          eb('status', 'in', OPEN),
          eb('resolved_at', '>=', options.since),
        ]),
      )
      .execute(),
    db.selectFrom('incidents').select('started_at').where('maintenance_id', 'is', null).execute(),
    statusChangesSince(db, options.since),
  ]);
  const ids = [...new Set([...latest, ...windowed].map((r) => r.id))];
  const counts = new Map<string, number>();
  for (const row of monthRows) {
    const month = row.started_at.slice(0, 7);
    counts.set(month, (counts.get(month) ?? 0) + 1);
  }
  const months = [...counts].map(([month, count]) => ({ month, count })).sort((a, b) => (a.month < b.month ? 1 : -1));
  return {
    components,
    maintenances,
    calendar,
    recent: await incidentsWithUpdates(db, ids),
    months,
    statusChanges,
  };
}

/** Every component's status changes since `since`, each list led by the change in force at `since` (if any). */
export async function statusChangesSince(db: Executor, since: string): Promise<Map<string, StatusChange[]>> {
  const [before, after] = await Promise.all([
    db
      .selectFrom('component_status_changes as c')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('component_status_changes')
            .select(['component_id', (e) => e.fn.max('at').as('last')])
            .where('at', '<', since)
            .groupBy('component_id')
            .as('l'),
        (join) => join.onRef('l.component_id', '=', 'c.component_id').onRef('l.last', '=', 'c.at'),
      )
      .select(['c.component_id', 'c.status', 'c.at'])
      .execute(),
    db
      .selectFrom('component_status_changes')
      .select(['component_id', 'status', 'at'])
      .where('at', '>=', since)
      .orderBy('at')
      .orderBy('id')
      .execute(),
  ]);
  const result = new Map<string, StatusChange[]>();
  const seen = new Set<string>();
  for (const row of [...before, ...after]) {
    // Two changes at the same instant before `since`: keep one (either is the state at `since` up to a tie).
    if (row.at < since) {
      if (seen.has(row.component_id)) continue;
      seen.add(row.component_id);
    }
    const list = result.get(row.component_id);
    const change = { status: row.status as ComponentStatus, at: row.at };
    if (list) list.push(change);
    else result.set(row.component_id, [change]);
  }
  return result;
}

/** Incidents with their updates (newest first) and affected components, newest incident first. */
export async function incidentsWithUpdates(db: Executor, ids: readonly string[]): Promise<IncidentWithUpdates[]> {
  const result: IncidentWithUpdates[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) result.push(...(await loadChunk(db, ids.slice(i, i + CHUNK))));
  return result.sort(newestFirst);
}

/**
 * When an incident last changed, and how many updates it has (two updates within one millisecond leave
 * `updated_at` the same). A page rendered from another stamp is out of date.
 */
export interface IncidentStamp {
  updatedAt: string;
  updates: number;
}

/** Every incident's stamp. */
export async function incidentStamps(db: Executor): Promise<Map<string, IncidentStamp>> {
  const rows = await db
    .selectFrom('incidents as i')
    .leftJoin('incident_updates as u', 'u.incident_id', 'i.id')
    .select((eb) => ['i.id', 'i.updated_at', eb.fn.count<number | string | bigint>('u.id').as('updates')])
    .where('i.maintenance_id', 'is', null)
    .groupBy(['i.id', 'i.updated_at'])
    .execute();
  return new Map(rows.map((r) => [r.id, { updatedAt: r.updated_at, updates: Number(r.updates) }]));
}

export async function allIncidentIds(db: Executor): Promise<string[]> {
  return (await db.selectFrom('incidents').select('id').where('maintenance_id', 'is', null).execute()).map((r) => r.id);
}

export async function incidentIdsInMonth(db: Executor, month: string): Promise<string[]> {
  const rows = await db
    .selectFrom('incidents')
    .select('id')
    .where('maintenance_id', 'is', null)
    .where('started_at', 'like', `${month}%`)
    .execute();
  return rows.map((r) => r.id);
}

async function loadChunk(db: Executor, ids: string[]): Promise<IncidentWithUpdates[]> {
  if (ids.length === 0) return [];
  const [rows, updates, links] = await Promise.all([
    db.selectFrom('incidents').selectAll().where('id', 'in', ids).execute(),
    db.selectFrom('incident_updates').selectAll().where('incident_id', 'in', ids).orderBy('number', 'desc').execute(),
    db
      .selectFrom('incident_components as ic')
      .innerJoin('components as c', 'c.id', 'ic.component_id')
      .select(['ic.incident_id', 'c.id', 'c.name', 'ic.status'])
      .where('ic.incident_id', 'in', ids)
      .orderBy('c.position')
      .orderBy('c.name')
      .execute(),
  ]);
  const updatesOf = group(updates.map(toUpdate), (u) => u.incidentId);
  const componentsOf = group(
    links.map((l) => ({
      incidentId: l.incident_id,
      component: { id: l.id, name: l.name, status: l.status as ComponentStatus },
    })),
    (l) => l.incidentId,
  );
  return rows.map((row) => ({
    ...toIncident(row, (componentsOf.get(row.id) ?? []).map((l) => l.component) as AffectedComponent[]),
    updates: (updatesOf.get(row.id) ?? []) as IncidentUpdate[],
  }));
}

function group<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(key(item));
    if (list) list.push(item);
    else map.set(key(item), [item]);
  }
  return map;
}

const newestFirst = (a: { startedAt: string; id: string }, b: { startedAt: string; id: string }) =>
  a.startedAt === b.startedAt ? (a.id < b.id ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1;

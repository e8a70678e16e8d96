import type { Selectable } from 'kysely';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import type { AffectedComponent, Incident, IncidentUpdate, IncidentWithUpdates } from '../domain/types.js';
import type { Executor } from './executor.js';
import { listParam, listParams, listShape, prepared } from './prepared.js';
import type { IncidentUpdatesTable, IncidentsTable } from './schema.js';

const OPEN_STATUSES = ['investigating', 'identified', 'monitoring'];

export function toIncident(row: Selectable<IncidentsTable>, components: AffectedComponent[]): Incident {
  return {
    id: row.id,
    title: row.title,
    status: row.status as IncidentStatus,
    impact: row.impact as IncidentImpact,
    startedAt: row.started_at,
    resolvedAt: row.resolved_at,
    postmortem: row.postmortem_body,
    postmortemPublishedAt: row.postmortem_published_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    components,
    ...(row.maintenance_id ? { maintenanceId: row.maintenance_id } : {}),
  };
}

export function toUpdate(row: Selectable<IncidentUpdatesTable>): IncidentUpdate {
  return {
    id: row.id,
    incidentId: row.incident_id,
    status: row.status as IncidentStatus,
    message: row.message,
    components: JSON.parse(row.components_json) as AffectedComponent[],
    channels: JSON.parse(row.channels_json) as string[],
    ...(row.social_text ? { socialText: row.social_text } : {}),
    createdAt: row.created_at,
  };
}

async function affectedComponents(db: Executor, incidentIds: string[]): Promise<Map<string, AffectedComponent[]>> {
  const byIncident = new Map<string, AffectedComponent[]>();
  if (incidentIds.length === 0) return byIncident;
  const rows = await db
    .selectFrom('incident_components as ic')
    .innerJoin('components as c', 'c.id', 'ic.component_id')
    .select(['ic.incident_id', 'c.id', 'c.name', 'ic.status', 'c.position'])
    .where('ic.incident_id', 'in', incidentIds)
    .orderBy('c.position')
    .orderBy('c.name')
    .execute();
  for (const row of rows) {
    const list = byIncident.get(row.incident_id) ?? [];
    list.push({ id: row.id, name: row.name, status: row.status as ComponentStatus });
    byIncident.set(row.incident_id, list);
  }
  return byIncident;
}

/** `forUpdate` locks the incident's row until the transaction ends (PostgreSQL; SQLite locks the whole file). */
export async function getIncident(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Incident | undefined> {
  // One statement, the incident's row beside each of its components (one round trip on PostgreSQL).
  const { rows } = await (options.forUpdate ? incidentForUpdate : incidentById)<IncidentComponentRow>(db, { id });
  if (rows.length === 0) return undefined;
  const components = rows
    .filter((r) => r.component_id !== null)
    .map((r) => ({ id: r.component_id!, name: r.component_name!, status: r.component_status as ComponentStatus }));
  return toIncident(rows[0]!, components);
}

type IncidentComponentRow = Selectable<IncidentsTable> & {
  component_id: string | null;
  component_name: string | null;
  component_status: string | null;
};

const incidentWithComponents = (db: Executor, id: string) =>
  db
    .selectFrom('incidents as i')
    .leftJoin('incident_components as ic', 'ic.incident_id', 'i.id')
    .leftJoin('components as c', 'c.id', 'ic.component_id')
    .selectAll('i')
    .select(['c.id as component_id', 'c.name as component_name', 'ic.status as component_status'])
    .where('i.id', '=', id)
    .orderBy('c.position')
    .orderBy('c.name');
const incidentById = prepared((db, p: { id: string }) => incidentWithComponents(db, p.id));
// Only the incident's row is locked: FOR UPDATE may not reach the nullable side of an outer join.
const incidentForUpdate = prepared((db, p: { id: string }) => incidentWithComponents(db, p.id).forUpdate('i'));

/** An incident with its updates; undefined for none, or for the row that threads a maintenance's notices. */
export async function getIncidentWithUpdates(db: Executor, id: string): Promise<IncidentWithUpdates | undefined> {
  const incident = await getIncident(db, id);
  if (!incident || incident.maintenanceId) return undefined;
  const updates = await db
    .selectFrom('incident_updates')
    .selectAll()
    .where('incident_id', '=', id)
    .orderBy('number', 'desc')
    .execute();
  return { ...incident, updates: updates.map(toUpdate) };
}

export interface IncidentListOptions {
  unresolvedOnly?: boolean;
  limit?: number;
  /** Keyset paging: incidents started before this time. */
  before?: string;
}

export async function listIncidents(db: Executor, options: IncidentListOptions = {}): Promise<Incident[]> {
  let query = db
    .selectFrom('incidents')
    .selectAll()
    .where('maintenance_id', 'is', null)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc');
  if (options.unresolvedOnly) query = query.where('status', 'in', OPEN_STATUSES);
  if (options.before) query = query.where('started_at', '<', options.before);
  query = query.limit(options.limit ?? 100);
  const rows = await query.execute();
  const components = await affectedComponents(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => toIncident(row, components.get(row.id) ?? []));
}

export async function listIncidentsWithUpdates(
  db: Executor,
  options: IncidentListOptions = {},
): Promise<IncidentWithUpdates[]> {
  const incidents = await listIncidents(db, options);
  if (incidents.length === 0) return [];
  const rows = await db
    .selectFrom('incident_updates')
    .selectAll()
    .where(
      'incident_id',
      'in',
      incidents.map((i) => i.id),
    )
    .orderBy('number', 'desc')
    .execute();
  const byIncident = new Map<string, IncidentUpdate[]>();
  for (const row of rows) {
    const list = byIncident.get(row.incident_id) ?? [];
    list.push(toUpdate(row));
    byIncident.set(row.incident_id, list);
  }
  return incidents.map((incident) => ({ ...incident, updates: byIncident.get(incident.id) ?? [] }));
}

export async function getUpdate(db: Executor, id: string): Promise<(IncidentUpdate & { number: number }) | undefined> {
  const row = await db.selectFrom('incident_updates').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { ...toUpdate(row), number: Number(row.number) } : undefined;
}

/** Status each component has in open incidents other than `exceptIncidentId`. */
export async function openIncidentStatuses(db: Executor, componentIds: string[], exceptIncidentId: string) {
  if (componentIds.length === 0) return [];
  const { rows } = await openIncidentStatusesQuery<{ component_id: string; status: string }>(db, {
    except: exceptIncidentId,
    ...listParams('c', componentIds),
  });
  return rows;
}

const openIncidentStatusesQuery = prepared(
  (db, p: Record<string, string>) =>
    db
      .selectFrom('incident_components as ic')
      .innerJoin('incidents as i', 'i.id', 'ic.incident_id')
      .select(['ic.component_id', 'ic.status'])
      .where('ic.component_id', 'in', listParam(p, 'c'))
      .where('i.status', 'in', OPEN_STATUSES)
      .where('i.id', '!=', p.except!),
  listShape('c'),
);

/** Components under a maintenance that is in progress (or verifying). */
export async function componentsUnderMaintenance(db: Executor, componentIds: string[]): Promise<Set<string>> {
  if (componentIds.length === 0) return new Set();
  const { rows } = await underMaintenanceQuery<{ component_id: string }>(db, listParams('c', componentIds));
  return new Set(rows.map((r) => r.component_id));
}

const underMaintenanceQuery = prepared(
  (db, p: Record<string, string>) =>
    db
      .selectFrom('maintenance_components as mc')
      .innerJoin('maintenances as m', 'm.id', 'mc.maintenance_id')
      .select('mc.component_id')
      .where('mc.component_id', 'in', listParam(p, 'c'))
      .where('m.status', 'in', ['in_progress', 'verifying']),
  listShape('c'),
);

/** The number the incident's next update gets (1 for its first). */
export async function nextUpdateNumber(db: Executor, incidentId: string): Promise<number> {
  const row = await db
    .selectFrom('incident_updates')
    .select((eb) => eb.fn.max('number').as('n'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
  return Number(row?.n ?? 0) + 1;
}

/**
 * The incident a short link's code names: the incident whose id is the code, else the only one whose id starts with
 * it (two would make the link ambiguous: none is returned).
 */
export async function findIncidentIdByShortCode(db: Executor, code: string): Promise<string | undefined> {
  const rows = await db
    .selectFrom('incidents')
    .select('id')
    .where((eb) => eb.or([eb('id', '=', code), eb('id', 'like', `${code.replace(/[\\%_]/g, '')}%`)]))
    .limit(3)
    .execute();
  const exact = rows.find((r) => r.id === code);
  if (exact) return exact.id;
  return rows.length === 1 ? rows[0]!.id : undefined;
}

import type { Selectable } from 'kysely';
import type { Executor } from './executor.js';
import { prepared } from './prepared.js';
import type { IncidentUpdatesTable, IncidentsTable } from './schema.js';

export type UpdateWithIncidentRow = Selectable<IncidentUpdatesTable> &
  Pick<Selectable<IncidentsTable>, 'title' | 'impact' | 'started_at' | 'resolved_at' | 'maintenance_id'>;

/** An update's row with the few incident columns a channel shows: one indexed join, a prepared statement. */
export async function getUpdateWithIncident(
  db: Executor,
  updateId: string,
): Promise<UpdateWithIncidentRow | undefined> {
  const [row] = (await updateWithIncident<UpdateWithIncidentRow>(db, { updateId })).rows;
  return row;
}

const updateWithIncident = prepared((db, p: { updateId: string }) =>
  db
    .selectFrom('incident_updates as u')
    .innerJoin('incidents as i', 'i.id', 'u.incident_id')
    .selectAll('u')
    .select(['i.title', 'i.impact', 'i.started_at', 'i.resolved_at', 'i.maintenance_id'])
    .where('u.id', '=', p.updateId),
);

/** The components as the incident's update before `number` recorded them (none before the first). */
export async function componentsBeforeUpdate(
  db: Executor,
  incidentId: string,
  number: number,
): Promise<Array<{ id: string; status: string }>> {
  if (number <= 1) return [];
  const row = await db
    .selectFrom('incident_updates')
    .select('components_json')
    .where('incident_id', '=', incidentId)
    .where('number', '<', number)
    .orderBy('number', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? (JSON.parse(row.components_json) as Array<{ id: string; status: string }>) : [];
}

import type { Selectable } from 'kysely';
import type { ComponentStatus, MaintenanceStatus } from '../domain/enums.js';
import type { AffectedComponent, Maintenance } from '../domain/types.js';
import type { Executor } from './executor.js';
import type { MaintenancesTable } from './schema.js';

export async function getMaintenances(
  db: Executor,
  filter: { ids?: string[]; statuses?: MaintenanceStatus[] } = {},
): Promise<Maintenance[]> {
  let query = db.selectFrom('maintenances').selectAll().orderBy('scheduled_for');
  if (filter.ids) query = query.where('id', 'in', filter.ids.length ? filter.ids : ['']);
  if (filter.statuses) query = query.where('status', 'in', filter.statuses);
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const links = await db
    .selectFrom('maintenance_components as mc')
    .innerJoin('components as c', 'c.id', 'mc.component_id')
    .select(['mc.maintenance_id', 'c.id', 'c.name', 'c.status'])
    .where(
      'mc.maintenance_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('c.position')
    .execute();
  return rows.map((row) =>
    toMaintenance(
      row,
      links
        .filter((l) => l.maintenance_id === row.id)
        .map((l) => ({ id: l.id, name: l.name, status: l.status as ComponentStatus })),
    ),
  );
}

function toMaintenance(row: Selectable<MaintenancesTable>, components: AffectedComponent[]): Maintenance {
  return {
    id: row.id,
    title: row.title,
    message: row.message,
    status: row.status as MaintenanceStatus,
    scheduledFor: row.scheduled_for,
    scheduledUntil: row.scheduled_until,
    components,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

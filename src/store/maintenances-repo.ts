import type { Selectable } from 'kysely';
import type { ComponentStatus, MaintenanceStatus } from '../domain/enums.js';
import { InputError } from '../domain/errors.js';
import { worstStatus } from '../domain/rules.js';
import type { AffectedComponent, Maintenance } from '../domain/types.js';
import { setComponentStatuses, unknownComponentIds } from './components-repo.js';
import type { Executor } from './executor.js';
import { componentsUnderMaintenance, openIncidentStatuses } from './incidents-repo.js';
import type { Database, MaintenancesTable } from './schema.js';
import type { Kysely } from 'kysely';

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

/**
 * Stores a new maintenance and its components, and the components' statuses that follow, in one transaction.
 * A component id that does not exist is bad input, and nothing is stored.
 */
export async function storeMaintenance(
  db: Kysely<Database>,
  m: {
    id: string;
    title: string;
    message: string;
    status: MaintenanceStatus;
    scheduledFor: string;
    scheduledUntil: string;
  },
  componentIds: string[],
  now: string,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const unknown = await unknownComponentIds(tx, componentIds);
    if (unknown.length > 0) {
      throw new InputError(unknown.map((c) => ({ field: `components`, problem: `no component with id '${c}'` })));
    }
    await tx
      .insertInto('maintenances')
      .values({
        id: m.id,
        title: m.title,
        message: m.message,
        status: m.status,
        scheduled_for: m.scheduledFor,
        scheduled_until: m.scheduledUntil,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('maintenance_components')
      .values(componentIds.map((c) => ({ maintenance_id: m.id, component_id: c })))
      .execute();
    await recomputeComponentStatuses(tx, componentIds, now);
  });
}

/** Moves a maintenance to `status`, and its components' statuses with it, in one transaction. */
export async function setMaintenanceStatus(
  db: Kysely<Database>,
  m: Pick<Maintenance, 'id' | 'components'>,
  status: MaintenanceStatus,
  now: string,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('maintenances').set({ status, updated_at: now }).where('id', '=', m.id).execute();
    await recomputeComponentStatuses(
      tx,
      m.components.map((c) => c.id),
      now,
    );
  });
}

/** Recomputes components touched by maintenance from what currently affects them. */
async function recomputeComponentStatuses(tx: Executor, ids: string[], now: string) {
  const incidents = await openIncidentStatuses(tx, ids, '');
  const maintained = await componentsUnderMaintenance(tx, ids);
  await setComponentStatuses(
    tx,
    ids.map((id) => ({
      id,
      status: worstStatus([
        ...incidents.filter((i) => i.component_id === id).map((i) => i.status as ComponentStatus),
        ...(maintained.has(id) ? (['under_maintenance'] as const) : []),
      ]),
    })),
    now,
  );
}

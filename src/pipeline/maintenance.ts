import type { ComponentStatus, MaintenanceStatus } from '../domain/enums.js';
import { InputError } from '../domain/errors.js';
import { newId, nowIso } from '../domain/ids.js';
import { worstStatus } from '../domain/rules.js';
import type { CreateMaintenanceInput } from '../domain/schemas.js';
import type { Maintenance } from '../domain/types.js';
import { setComponentStatuses, unknownComponentIds } from '../store/components-repo.js';
import type { Executor } from '../store/executor.js';
import { componentsUnderMaintenance, openIncidentStatuses } from '../store/incidents-repo.js';
import { getMaintenances } from '../store/maintenances-repo.js';
import type { Store } from '../store/store.js';

/** Scheduled → in_progress at scheduledFor, → completed at scheduledUntil (Statuspage's auto-transitions). */
export function maintenanceStatusAt(
  m: { scheduledFor: string; scheduledUntil: string },
  now: string,
): MaintenanceStatus {
  if (now >= m.scheduledUntil) return 'completed';
  if (now >= m.scheduledFor) return 'in_progress';
  return 'scheduled';
}

export async function createMaintenance(
  store: Store,
  input: CreateMaintenanceInput,
  now = nowIso(),
): Promise<Maintenance> {
  const id = newId();
  const scheduledFor = new Date(input.scheduledFor).toISOString();
  const scheduledUntil = new Date(input.scheduledUntil).toISOString();
  const componentIds = [...new Set(input.components)];
  await store.db.transaction().execute(async (tx) => {
    const unknown = await unknownComponentIds(tx, componentIds);
    if (unknown.length > 0) {
      throw new InputError(unknown.map((c) => ({ field: `components`, problem: `no component with id '${c}'` })));
    }
    await tx
      .insertInto('maintenances')
      .values({
        id,
        title: input.title,
        message: input.message,
        status: maintenanceStatusAt({ scheduledFor, scheduledUntil }, now),
        scheduled_for: scheduledFor,
        scheduled_until: scheduledUntil,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('maintenance_components')
      .values(componentIds.map((c) => ({ maintenance_id: id, component_id: c })))
      .execute();
    await refreshComponentStatuses(tx, componentIds, now);
  });
  return (await getMaintenances(store.db, { ids: [id] }))[0]!;
}

/** Moves maintenances whose time has come; returns the ids that changed. */
export async function advanceMaintenances(store: Store, now = nowIso()): Promise<string[]> {
  const open = await getMaintenances(store.db, { statuses: ['scheduled', 'in_progress', 'verifying'] });
  const changed: string[] = [];
  for (const m of open) {
    const next = maintenanceStatusAt(m, now);
    if (next === m.status || (m.status === 'verifying' && next === 'in_progress')) continue;
    await store.db.transaction().execute(async (tx) => {
      await tx.updateTable('maintenances').set({ status: next, updated_at: now }).where('id', '=', m.id).execute();
      await refreshComponentStatuses(
        tx,
        m.components.map((c) => c.id),
        now,
      );
    });
    changed.push(m.id);
  }
  return changed;
}

/** Recomputes components touched by maintenance from what currently affects them. */
async function refreshComponentStatuses(tx: Executor, ids: string[], now: string) {
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

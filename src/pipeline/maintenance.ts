import type { MaintenanceStatus } from '../domain/enums.js';
import { newId, nowIso } from '../domain/ids.js';
import type { CreateMaintenanceInput } from '../domain/schemas.js';
import type { Maintenance } from '../domain/types.js';
import { getMaintenances, setMaintenanceStatus, storeMaintenance } from '../store/maintenances-repo.js';
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
  const status = maintenanceStatusAt({ scheduledFor, scheduledUntil }, now);
  await storeMaintenance(
    store.db,
    { id, title: input.title, message: input.message, status, scheduledFor, scheduledUntil },
    [...new Set(input.components)],
    now,
  );
  return (await getMaintenances(store.db, { ids: [id] }))[0]!;
}

/** Moves maintenances whose time has come; returns the ids that changed. */
export async function advanceMaintenances(store: Store, now = nowIso()): Promise<string[]> {
  const open = await getMaintenances(store.db, { statuses: ['scheduled', 'in_progress', 'verifying'] });
  const changed: string[] = [];
  for (const m of open) {
    const next = maintenanceStatusAt(m, now);
    if (next === m.status || (m.status === 'verifying' && next === 'in_progress')) continue;
    await setMaintenanceStatus(store.db, m, next, now);
    changed.push(m.id);
  }
  return changed;
}

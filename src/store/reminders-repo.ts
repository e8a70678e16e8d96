import type { Executor } from './executor.js';

// Reminders are claimed before they are sent, so that several processes, or one after a restart, never send one
// twice: a row per (maintenance, subscriber) or per (incident, due time), 'sending' while an attempt runs, then
// 'sent', 'failed' or back to 'pending' for a later check to try again.

export type ReminderState = 'sent' | 'failed' | 'pending';

/** The maintenance reminders already settled (sent or failed) among these subscribers. */
export async function settledMaintenanceReminders(
  db: Executor,
  maintenanceId: string,
  subscriberIds: readonly string[],
): Promise<Set<string>> {
  if (subscriberIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('console_maintenance_reminders')
    .select('subscriber_id')
    .where('maintenance_id', '=', maintenanceId)
    .where('subscriber_id', 'in', [...subscriberIds])
    .where('state', '!=', 'pending')
    .execute();
  return new Set(rows.map((r) => r.subscriber_id));
}

/**
 * Claims one subscriber's reminder of a maintenance for an attempt: a new row, or one left pending with attempts
 * to spare. Returns the attempt's number, or 0 when another process has it, it is done, or it ran out of attempts.
 */
export async function claimMaintenanceReminder(
  db: Executor,
  maintenanceId: string,
  subscriberId: string,
  maxAttempts: number,
  now: string,
): Promise<number> {
  const inserted = await db
    .insertInto('console_maintenance_reminders')
    .values({
      maintenance_id: maintenanceId,
      subscriber_id: subscriberId,
      state: 'sending',
      attempts: 1,
      error: null,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['maintenance_id', 'subscriber_id']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return 1;
  const row = await db
    .selectFrom('console_maintenance_reminders')
    .select('attempts')
    .where('maintenance_id', '=', maintenanceId)
    .where('subscriber_id', '=', subscriberId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (!row || row.attempts >= maxAttempts) return 0;
  const retried = await db
    .updateTable('console_maintenance_reminders')
    .set({ state: 'sending', attempts: row.attempts + 1, updated_at: now })
    .where('maintenance_id', '=', maintenanceId)
    .where('subscriber_id', '=', subscriberId)
    .where('state', '=', 'pending')
    .where('attempts', '=', row.attempts)
    .executeTakeFirst();
  return Number(retried.numUpdatedRows) > 0 ? row.attempts + 1 : 0;
}

/** Records an attempt's result; `refundAttempt`: a rate-limited attempt, which does not count. */
export async function recordMaintenanceReminder(
  db: Executor,
  maintenanceId: string,
  subscriberId: string,
  result: { state: ReminderState; error: string | null; refundAttempt?: boolean },
  now: string,
): Promise<void> {
  await db
    .updateTable('console_maintenance_reminders')
    .set((eb) => ({
      state: result.state,
      error: result.error,
      updated_at: now,
      ...(result.refundAttempt ? { attempts: eb('attempts', '-', 1) } : {}),
    }))
    .where('maintenance_id', '=', maintenanceId)
    .where('subscriber_id', '=', subscriberId)
    .execute();
}

/** Reminder counts of each maintenance, for the console (sent / failed). */
export async function maintenanceReminderCounts(
  db: Executor,
  ids: string[],
): Promise<Map<string, { sent: number; failed: number }>> {
  const out = new Map<string, { sent: number; failed: number }>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('console_maintenance_reminders')
    .select(['maintenance_id', 'state'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('maintenance_id', 'in', ids)
    .groupBy(['maintenance_id', 'state'])
    .execute();
  for (const row of rows) {
    const entry = out.get(row.maintenance_id) ?? { sent: 0, failed: 0 };
    if (row.state === 'sent') entry.sent += Number(row.n);
    if (row.state === 'failed') entry.failed += Number(row.n);
    out.set(row.maintenance_id, entry);
  }
  return out;
}

/**
 * Claims a cadence reminder for an attempt: a new row, or one left `pending` by a failed send with attempts to
 * spare. Returns the attempt's number, or 0 when this process may not send it.
 */
export async function claimCadenceReminder(
  db: Executor,
  incidentId: string,
  dueAt: string,
  maxAttempts: number,
  now: string,
): Promise<number> {
  const inserted = await db
    .insertInto('console_cadence_reminders')
    .values({
      incident_id: incidentId,
      due_at: dueAt,
      state: 'sending',
      attempts: 1,
      error: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['incident_id', 'due_at']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return 1;
  const retried = await db
    .updateTable('console_cadence_reminders')
    .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('incident_id', '=', incidentId)
    .where('due_at', '=', dueAt)
    .where('state', '=', 'pending')
    .where('attempts', '<', maxAttempts)
    .returning('attempts')
    .executeTakeFirst();
  return retried ? Number(retried.attempts) : 0;
}

export async function recordCadenceReminder(
  db: Executor,
  incidentId: string,
  dueAt: string,
  result: { state: ReminderState; error: string | null; refundAttempt?: boolean },
  now: string,
): Promise<void> {
  await db
    .updateTable('console_cadence_reminders')
    .set((eb) => ({
      state: result.state,
      error: result.error,
      updated_at: now,
      ...(result.refundAttempt ? { attempts: eb('attempts', '-', 1) } : {}),
    }))
    .where('incident_id', '=', incidentId)
    .where('due_at', '=', dueAt)
    .execute();
}

import type { Executor } from './executor.js';

// Reminders are claimed before they are sent, so that several processes, or one after a restart, never send one
// twice: a row per (maintenance, subscriber) or per (incident, due time), 'sending' while an attempt runs, then
// 'sent', 'failed' or back to 'pending' for a later check to try again.

export type ReminderState = 'sent' | 'failed' | 'pending';

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

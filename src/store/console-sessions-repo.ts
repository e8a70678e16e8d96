import type { Executor } from './executor.js';
import type { ConsoleSessionsTable } from './schema.js';

/** A console session's row: the cookie value is never stored, only its SHA-256 (`id_hash`). */
export type ConsoleSessionRow = ConsoleSessionsTable;

export async function insertSession(db: Executor, row: ConsoleSessionRow): Promise<void> {
  await db.insertInto('console_sessions').values(row).execute();
}

export async function findSession(db: Executor, idHash: string): Promise<ConsoleSessionRow | undefined> {
  return db.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function deleteSession(db: Executor, idHash: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteSessionsOfUser(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('user_id', '=', userId).execute();
}

/** Removes the sessions that expired before `now`. */
export async function deleteExpiredSessions(db: Executor, now: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('expires_at', '<', now).execute();
}

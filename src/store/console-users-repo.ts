import type { Executor } from './executor.js';
import type { ConsoleUsersTable } from './schema.js';

/** A console user's row; usernames are stored normalised (the console lower-cases them). */
export type ConsoleUserRow = ConsoleUsersTable;

export async function insertConsoleUser(db: Executor, row: ConsoleUserRow): Promise<void> {
  await db.insertInto('console_users').values(row).execute();
}

export async function findUserByName(db: Executor, username: string): Promise<ConsoleUserRow | undefined> {
  return db.selectFrom('console_users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function findUserById(db: Executor, id: string): Promise<ConsoleUserRow | undefined> {
  return db.selectFrom('console_users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every console user, by username. */
export async function listUsersByName(db: Executor): Promise<ConsoleUserRow[]> {
  return db.selectFrom('console_users').selectAll().orderBy('username').execute();
}

/** Whether a user of that name exists (and now has the new hash). */
export async function setPasswordHash(
  db: Executor,
  username: string,
  passwordHash: string,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('console_users')
    .set({ password_hash: passwordHash, updated_at: now })
    .where('username', '=', username)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Whether a user of that name existed. */
export async function deleteUserByName(db: Executor, username: string): Promise<boolean> {
  const result = await db.deleteFrom('console_users').where('username', '=', username).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

import { hash, verify } from '@node-rs/argon2';
import { newId } from '../domain/ids.js';
import {
  type ConsoleUserRow,
  deleteUserByName,
  findUserById,
  findUserByName,
  insertConsoleUser,
  listUsersByName,
  setPasswordHash,
} from '../store/console-users-repo.js';
import { deleteSessionsOfUser } from '../store/console-sessions-repo.js';
import type { Executor } from '../store/executor.js';

import { CONSOLE_ROLES, type ConsoleRole } from './roles.js';

export { CONSOLE_ROLES, type ConsoleRole };

export interface ConsoleUser {
  id: string;
  username: string;
  role: ConsoleRole;
  createdAt: string;
}

export const MIN_PASSWORD_LENGTH = 12;
const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;

// OWASP's argon2id baseline (19 MiB, 2 passes) keeps a login well under a second on a small machine.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** Checked against when the username is unknown, so both cases take the same time. */
let dummyHash: Promise<string> | undefined;

const toUser = (row: ConsoleUserRow): ConsoleUser => ({
  id: row.id,
  username: row.username,
  role: row.role as ConsoleRole,
  createdAt: row.created_at,
});

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** Names the problem and the fix; null when the input is fine. */
export function checkNewUser(username: string, password: string, role: string): string | null {
  if (!USERNAME.test(normaliseUsername(username))) {
    return `username '${username}': use 2–64 characters: letters, digits and . _ @ - (starting with a letter or digit)`;
  }
  if (!(CONSOLE_ROLES as readonly string[]).includes(role))
    return `role '${role}': must be one of ${CONSOLE_ROLES.join(', ')}`;
  if ([...password].length < MIN_PASSWORD_LENGTH) return `password: must be at least ${MIN_PASSWORD_LENGTH} characters`;
  return null;
}

export async function createUser(
  db: Executor,
  input: { username: string; password: string; role: ConsoleRole },
  now: string,
): Promise<ConsoleUser> {
  const problem = checkNewUser(input.username, input.password, input.role);
  if (problem) throw new Error(problem);
  const row = {
    id: newId(),
    username: normaliseUsername(input.username),
    password_hash: await hash(input.password, ARGON2),
    role: input.role,
    created_at: now,
    updated_at: now,
  };
  await insertConsoleUser(db, row);
  return toUser(row);
}

export async function setPassword(db: Executor, username: string, password: string, now: string): Promise<boolean> {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw new Error(`password: must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const changed = await setPasswordHash(db, normaliseUsername(username), await hash(password, ARGON2), now);
  const user = await findUser(db, username);
  // A new password ends every session of that user.
  if (user) await deleteSessionsOfUser(db, user.id);
  return changed;
}

export async function findUser(db: Executor, username: string): Promise<ConsoleUser | undefined> {
  const row = await findUserByName(db, normaliseUsername(username));
  return row ? toUser(row) : undefined;
}

export async function getUserById(db: Executor, id: string): Promise<ConsoleUser | undefined> {
  const row = await findUserById(db, id);
  return row ? toUser(row) : undefined;
}

export async function listUsers(db: Executor): Promise<ConsoleUser[]> {
  return (await listUsersByName(db)).map(toUser);
}

export async function removeUser(db: Executor, username: string): Promise<boolean> {
  return deleteUserByName(db, normaliseUsername(username));
}

/** The user when the password is right; undefined otherwise (unknown user or wrong password, same time). */
export async function verifyCredentials(
  db: Executor,
  username: string,
  password: string,
): Promise<ConsoleUser | undefined> {
  const row = await findUserByName(db, normaliseUsername(username));
  if (!row) {
    dummyHash ??= hash('not-a-real-password-0000', ARGON2);
    await verify(await dummyHash, password).catch(() => false);
    return undefined;
  }
  const ok = await verify(row.password_hash, password).catch(() => false);
  return ok ? toUser(row) : undefined;
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../store/executor.js';
import { type ConsoleUser, getUserById } from './users.js';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface Session {
  idHash: string;
  user: ConsoleUser;
  csrfToken: string;
  expiresAt: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
export const randomToken = () => randomBytes(32).toString('base64url');

/** Starts a session; returns the cookie value (only its hash is stored). */
export async function createSession(
  db: Executor,
  userId: string,
  now: Date = new Date(),
): Promise<{ token: string; session: { csrfToken: string; expiresAt: string } }> {
  const token = randomToken();
  const csrfToken = randomToken();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  await db
    .insertInto('console_sessions')
    .values({
      id_hash: sha256(token),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: now.toISOString(),
      expires_at: expiresAt,
    })
    .execute();
  // Expired sessions are removed as new ones start: no sweeper needed for a table this small.
  await db.deleteFrom('console_sessions').where('expires_at', '<', now.toISOString()).execute();
  return { token, session: { csrfToken, expiresAt } };
}

export async function loadSession(
  db: Executor,
  token: string | undefined,
  now: Date = new Date(),
): Promise<Session | undefined> {
  if (!token || token.length > 200) return undefined;
  const row = await db
    .selectFrom('console_sessions')
    .selectAll()
    .where('id_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row || row.expires_at <= now.toISOString()) return undefined;
  const user = await getUserById(db, row.user_id);
  if (!user) return undefined;
  return { idHash: row.id_hash, user, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function endSession(db: Executor, idHash: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
}

/** Constant-time comparison of a submitted token with the expected one. */
export function tokensMatch(submitted: unknown, expected: string): boolean {
  if (typeof submitted !== 'string' || submitted.length === 0) return false;
  const a = createHash('sha256').update(submitted).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { deleteExpiredSessions, deleteSession, findSession, insertSession } from '../store/console-sessions-repo.js';
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
  await insertSession(db, {
    id_hash: sha256(token),
    user_id: userId,
    csrf_token: csrfToken,
    created_at: now.toISOString(),
    expires_at: expiresAt,
  });
  // Expired sessions are removed as new ones start: no sweeper needed for a table this small.
  await deleteExpiredSessions(db, now.toISOString());
  return { token, session: { csrfToken, expiresAt } };
}

export async function loadSession(
  db: Executor,
  token: string | undefined,
  now: Date = new Date(),
): Promise<Session | undefined> {
  if (!token || token.length > 200) return undefined;
  const row = await findSession(db, sha256(token));
  if (!row || row.expires_at <= now.toISOString()) return undefined;
  const user = await getUserById(db, row.user_id);
  if (!user) return undefined;
  return { idHash: row.id_hash, user, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function endSession(db: Executor, idHash: string): Promise<void> {
  await deleteSession(db, idHash);
}

/** Constant-time comparison of a submitted token with the expected one. */
export function tokensMatch(submitted: unknown, expected: string): boolean {
  if (typeof submitted !== 'string' || submitted.length === 0) return false;
  const a = createHash('sha256').update(submitted).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

import type { Executor } from './executor.js';

/** How long a key is remembered (Stripe's 24 hours); after that the same key is a new request. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** The oldest creation time a key may have and still count, for a request arriving at `now`. */
export function idempotencyCutoff(now = Date.now()): string {
  return new Date(now - IDEMPOTENCY_KEY_TTL_MS).toISOString();
}

export interface StoredResponse {
  requestHash: string;
  statusCode: number | null;
  body: unknown;
}

/** The key's stored request and answer, unless it was made before `notBefore` (expired: as if never used). */
export async function findIdempotencyKey(
  db: Executor,
  key: string,
  notBefore: string,
): Promise<StoredResponse | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('key', '=', key)
    .where('created_at', '>=', notBefore)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    requestHash: row.request_hash,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    body: row.response_json === null ? null : JSON.parse(row.response_json),
  };
}

/**
 * Reserves the key (an expired use of it, made before `notBefore`, is dropped first); throws a unique violation
 * when another request holds it already.
 */
export async function reserveIdempotencyKey(
  db: Executor,
  key: string,
  requestHash: string,
  now: string,
  notBefore: string,
) {
  await db.deleteFrom('idempotency_keys').where('key', '=', key).where('created_at', '<', notBefore).execute();
  await db
    .insertInto('idempotency_keys')
    .values({ key, request_hash: requestHash, status_code: null, response_json: null, created_at: now })
    .execute();
}

export async function completeIdempotencyKey(db: Executor, key: string, statusCode: number, body: unknown) {
  await db
    .updateTable('idempotency_keys')
    .set({ status_code: statusCode, response_json: JSON.stringify(body) })
    .where('key', '=', key)
    .execute();
}

export async function releaseIdempotencyKey(db: Executor, key: string) {
  await db.deleteFrom('idempotency_keys').where('key', '=', key).where('status_code', 'is', null).execute();
}

/** Drops every key made before `before`; returns how many. */
export async function deleteExpiredIdempotencyKeys(db: Executor, before: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

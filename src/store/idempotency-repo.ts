import type { Executor } from './executor.js';

export interface StoredResponse {
  requestHash: string;
  statusCode: number | null;
  body: unknown;
}

export async function findIdempotencyKey(db: Executor, key: string): Promise<StoredResponse | undefined> {
  const row = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst();
  if (!row) return undefined;
  return {
    requestHash: row.request_hash,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    body: row.response_json === null ? null : JSON.parse(row.response_json),
  };
}

/** Reserves the key; throws a unique violation when another request holds it already. */
export async function reserveIdempotencyKey(db: Executor, key: string, requestHash: string, now: string) {
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

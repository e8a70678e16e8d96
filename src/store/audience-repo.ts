import type { Executor } from './executor.js';

// What the senders read and change about subscribers: the keyset scan a fan-out plans from, the state a refused
// recipient moves to (suppressed, disabled, quarantined) and the suppression list. Sign-up, import and the admin
// views of subscribers live in subscribers-repo.ts.

export interface ScannedSubscriber {
  id: string;
  components_json: string;
}

/**
 * One keyset page of confirmed, active subscribers of a kind: ORDER BY id, WHERE id > after. Only the id and
 * the filter are read, so a page costs the same at the first and at the millionth subscriber.
 */
export async function scanSubscribers(
  db: Executor,
  kind: string,
  after: string | null,
  limit: number,
): Promise<ScannedSubscriber[]> {
  let query = db
    .selectFrom('subscribers')
    .select(['id', 'components_json'])
    .where('kind', '=', kind)
    .where('confirmed_at', 'is not', null)
    .where('state', '=', 'active')
    .orderBy('id')
    .limit(limit);
  if (after) query = query.where('id', '>', after);
  return query.execute();
}

/** The addresses of the given subscribers. */
export async function subscriberAddresses(
  db: Executor,
  ids: readonly string[],
): Promise<Array<{ id: string; address: string }>> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('subscribers')
    .select(['id', 'address'])
    .where('id', 'in', [...ids])
    .execute();
}

/** Keeps why a subscriber's last message could not be sent, for the admin views. */
export async function noteSubscriberError(db: Executor, id: string, error: string): Promise<void> {
  await db.updateTable('subscribers').set({ last_error: error }).where('id', '=', id).execute();
}

/** A provider's refusal of a recipient for good, as the store needs it (RecipientRejectedError has this shape). */
export interface Rejection {
  action: 'suppress' | 'disable' | 'none';
  message: string;
  /** For `suppress`: the address's suppression hash, computed by the channel. */
  suppressionHash?: string;
}

/**
 * The provider refused a recipient for good: the subscriber is suppressed (its address hash joins the
 * suppression list) or disabled, so later sends skip it. Returns the new state, or undefined for `none`.
 */
export async function applyRejection(
  db: Executor,
  subscriberId: string,
  rejected: Rejection,
  now: string,
): Promise<'suppressed' | 'disabled' | undefined> {
  if (rejected.action === 'none') return undefined;
  const state = rejected.action === 'suppress' ? 'suppressed' : 'disabled';
  const sub = await db.selectFrom('subscribers').select(['kind']).where('id', '=', subscriberId).executeTakeFirst();
  await db
    .updateTable('subscribers')
    .set({ state, last_error: rejected.message.slice(0, 500), updated_at: now })
    .where('id', '=', subscriberId)
    .execute();
  if (rejected.suppressionHash && sub) {
    await db
      .insertInto('suppressions')
      .values({
        kind: sub.kind,
        address_hash: rejected.suppressionHash,
        reason: rejected.message.slice(0, 200),
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['kind', 'address_hash']).doNothing())
      .execute();
  }
  return state;
}

/** Webhook endpoints that answered: their run of consecutive failures ends. */
export async function resetFailureCounts(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('subscribers')
    .set({ failure_count: 0, last_error: null })
    .where('id', 'in', [...ids])
    .where('failure_count', '>', 0)
    .execute();
}

/**
 * One more consecutive failure for an endpoint; at `quarantineAfter` an active one is quarantined. Returns its
 * state and count after the failure.
 */
export async function countFailure(
  db: Executor,
  id: string,
  error: string,
  quarantineAfter: number,
  now: string,
): Promise<{ state: string; failures: number; quarantinedNow: boolean } | undefined> {
  await db
    .updateTable('subscribers')
    .set((eb) => ({ failure_count: eb('failure_count', '+', 1), last_error: error.slice(0, 500), updated_at: now }))
    .where('id', '=', id)
    .execute();
  const sub = await db
    .selectFrom('subscribers')
    .select(['failure_count', 'state'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!sub) return undefined;
  const failures = Number(sub.failure_count);
  if (sub.state === 'active' && failures >= quarantineAfter) {
    await db.updateTable('subscribers').set({ state: 'quarantined', updated_at: now }).where('id', '=', id).execute();
    return { state: 'quarantined', failures, quarantinedNow: true };
  }
  return { state: sub.state, failures, quarantinedNow: false };
}

// ---- The suppression list: addresses as an HMAC (addressHash in src/domain/audience.ts), never in the clear. ----

export async function isHashSuppressed(db: Executor, kind: string, hash: string): Promise<boolean> {
  const row = await db
    .selectFrom('suppressions')
    .select('kind')
    .where('kind', '=', kind)
    .where('address_hash', '=', hash)
    .executeTakeFirst();
  return row !== undefined;
}

/** The given hashes that are on the list. */
export async function suppressedHashes(db: Executor, kind: string, hashes: readonly string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await db
    .selectFrom('suppressions')
    .select('address_hash')
    .where('kind', '=', kind)
    .where('address_hash', 'in', [...hashes])
    .execute();
  return new Set(rows.map((r) => r.address_hash));
}

export async function putSuppression(db: Executor, kind: string, hash: string, reason: string, now: string) {
  await db
    .insertInto('suppressions')
    .values({ kind, address_hash: hash, reason, created_at: now })
    .onConflict((oc) => oc.columns(['kind', 'address_hash']).doUpdateSet({ reason, created_at: now }))
    .execute();
}

export async function deleteSuppression(db: Executor, kind: string, hash: string): Promise<void> {
  await db.deleteFrom('suppressions').where('kind', '=', kind).where('address_hash', '=', hash).execute();
}

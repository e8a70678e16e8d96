import type { RecipientRejectedError } from './errors.js';
import { createHmac } from 'node:crypto';
import type { Executor } from '../store/executor.js';

// Unsubscribed and bounced addresses are kept only as an HMAC of (kind, address) with HERALD_SECRET:
// enough to skip them on re-import, not enough to list them.

export const addressHash = (secret: string, kind: string, address: string) =>
  createHmac('sha256', secret).update(`suppression\0${kind}\0${address}`).digest('base64url');

export async function isSuppressed(db: Executor, secret: string, kind: string, address: string): Promise<boolean> {
  const row = await db
    .selectFrom('suppressions')
    .select('kind')
    .where('kind', '=', kind)
    .where('address_hash', '=', addressHash(secret, kind, address))
    .executeTakeFirst();
  return row !== undefined;
}

/** Hashes of the given addresses that are suppressed (one query for an import batch). */
export async function suppressedAmong(
  db: Executor,
  secret: string,
  kind: string,
  addresses: string[],
): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  const byHash = new Map(addresses.map((a) => [addressHash(secret, kind, a), a]));
  const rows = await db
    .selectFrom('suppressions')
    .select('address_hash')
    .where('kind', '=', kind)
    .where('address_hash', 'in', [...byHash.keys()])
    .execute();
  return new Set(rows.map((r) => byHash.get(r.address_hash)!));
}

export async function addSuppression(
  db: Executor,
  secret: string,
  kind: string,
  address: string,
  reason: string,
  now: string,
): Promise<void> {
  await db
    .insertInto('suppressions')
    .values({ kind, address_hash: addressHash(secret, kind, address), reason, created_at: now })
    .onConflict((oc) => oc.columns(['kind', 'address_hash']).doUpdateSet({ reason, created_at: now }))
    .execute();
}

export async function removeSuppression(db: Executor, secret: string, kind: string, address: string): Promise<void> {
  await db
    .deleteFrom('suppressions')
    .where('kind', '=', kind)
    .where('address_hash', '=', addressHash(secret, kind, address))
    .execute();
}

/**
 * The provider refused a recipient for good: the subscriber is suppressed (its address hash joins the
 * suppression list) or disabled, so later sends skip it. Returns the new state, or undefined for `none`.
 */
export async function applyRejection(
  db: Executor,
  subscriberId: string,
  rejected: RecipientRejectedError,
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

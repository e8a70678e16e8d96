import { createHmac } from 'node:crypto';
import { deleteSuppression, isHashSuppressed, putSuppression, suppressedHashes } from '../store/audience-repo.js';
import type { Executor } from '../store/executor.js';

// Unsubscribed and bounced addresses are kept only as an HMAC of (kind, address) with HERALD_SECRET:
// enough to skip them on re-import, not enough to list them.

export const addressHash = (secret: string, kind: string, address: string) =>
  createHmac('sha256', secret).update(`suppression\0${kind}\0${address}`).digest('base64url');

export const isSuppressed = (db: Executor, secret: string, kind: string, address: string): Promise<boolean> =>
  isHashSuppressed(db, kind, addressHash(secret, kind, address));

/** The given addresses that are suppressed (one query for an import batch). */
export async function suppressedAmong(
  db: Executor,
  secret: string,
  kind: string,
  addresses: string[],
): Promise<Set<string>> {
  const byHash = new Map(addresses.map((a) => [addressHash(secret, kind, a), a]));
  const found = await suppressedHashes(db, kind, [...byHash.keys()]);
  return new Set([...found].map((hash) => byHash.get(hash)!));
}

export const addSuppression = (
  db: Executor,
  secret: string,
  kind: string,
  address: string,
  reason: string,
  now: string,
) => putSuppression(db, kind, addressHash(secret, kind, address), reason, now);

export const removeSuppression = (db: Executor, secret: string, kind: string, address: string): Promise<void> =>
  deleteSuppression(db, kind, addressHash(secret, kind, address));

import { addressHash } from '../domain/audience.js';
import { deleteSuppression, isHashSuppressed, putSuppression, suppressedHashes } from '../store/audience-repo.js';
import type { Executor } from '../store/executor.js';

// The suppression list, read and written by its address hash (src/domain/audience.ts).

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

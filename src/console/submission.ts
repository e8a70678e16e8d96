import { createHash } from 'node:crypto';
import { nowIso } from '../domain/ids.js';
import { isUniqueViolation } from '../store/db.js';
import {
  completeIdempotencyKey,
  findIdempotencyKey,
  idempotencyCutoff,
  releaseIdempotencyKey,
  reserveIdempotencyKey,
} from '../store/idempotency-repo.js';
import type { Store } from '../store/store.js';

/**
 * A publish form carries a one-time `submission` id: a double click or a resubmitted page publishes once,
 * and the repeat lands on the first result. Uses the API's idempotency table under a `console:` key.
 */
export async function once(
  store: Store,
  submission: string,
  body: unknown,
  run: () => Promise<string>,
): Promise<{ location: string; repeated: boolean } | { conflict: string }> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(submission)) return { location: await run(), repeated: false };
  const key = `console:${submission}`;
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const existing = await findIdempotencyKey(store.db, key, idempotencyCutoff());
  if (existing) {
    if (existing.statusCode === null)
      return { conflict: 'this form is being published already; wait a moment and reload' };
    return { location: (existing.body as { location: string }).location, repeated: true };
  }
  try {
    await reserveIdempotencyKey(store.db, key, hash, nowIso(), idempotencyCutoff());
  } catch (error) {
    if (isUniqueViolation(error)) return { conflict: 'this form is being published already; wait a moment and reload' };
    throw error;
  }
  try {
    const location = await run();
    await completeIdempotencyKey(store.db, key, 303, { location });
    return { location, repeated: false };
  } catch (error) {
    await releaseIdempotencyKey(store.db, key).catch(() => undefined);
    throw error;
  }
}

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '../store/db.js';
import {
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  findIdempotencyKey,
  idempotencyCutoff,
  releaseIdempotencyKey,
  reserveIdempotencyKey,
} from '../store/idempotency-repo.js';
import type { Store } from '../store/store.js';

export interface Answer {
  status: number;
  body: unknown;
  /** What a repeat gets instead of `body` (and all that is kept): an answer that holds a secret shown once. */
  replay?: unknown;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;
const prunedAt = new WeakMap<Store, number>();

/** Expired keys are also dropped in bulk, at most once an hour per process, so the table holds about a day. */
async function pruneExpired(store: Store, now: number) {
  if (Math.abs(now - (prunedAt.get(store) ?? 0)) < PRUNE_EVERY_MS) return;
  prunedAt.set(store, now);
  await deleteExpiredIdempotencyKeys(store.db, idempotencyCutoff(now)).catch(() => undefined);
}

/**
 * Idempotency-Key for POST routes (Stripe's semantics): the first request with a key runs and its answer is
 * kept; a repeat with the same body gets that answer again without running; the same key with another body
 * (or route) gets 422. A failed request releases its key so the client may try again. A key is remembered for
 * 24 hours; a repeat of an answer with a secret gets the `replay` form of it, without the secret.
 */
export async function idempotent(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<Answer>,
) {
  const header = request.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (!key) {
    const answer = await run();
    return reply.status(answer.status).send(answer.body);
  }
  if (key.length > 255) {
    return reply
      .status(400)
      .send({ error: 'invalid_request', message: 'Idempotency-Key: must be at most 255 characters' });
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    return reply
      .status(400)
      .send({ error: 'invalid_request', message: 'Idempotency-Key: must not contain control characters' });
  }
  const hash = createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url}\n${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('hex');

  const now = Date.now();
  const cutoff = idempotencyCutoff(now);
  await pruneExpired(store, now);
  for (let tries = 0; tries < 2; tries++) {
    const existing = await findIdempotencyKey(store.db, key, cutoff);
    if (existing) {
      if (existing.requestHash !== hash) {
        return reply.status(422).send({
          error: 'idempotency_key_reused',
          message: 'Idempotency-Key was already used with a different request; use a new key for a new request',
        });
      }
      if (existing.statusCode === null) {
        return reply.status(409).send({
          error: 'conflict',
          message: 'a request with this Idempotency-Key is still in progress; retry shortly',
        });
      }
      return reply.status(existing.statusCode).header('idempotent-replayed', 'true').send(existing.body);
    }
    try {
      await reserveIdempotencyKey(store.db, key, hash, new Date(now).toISOString(), cutoff);
    } catch (error) {
      if (isUniqueViolation(error)) continue; // another request took it a moment ago: answer as a repeat
      throw error;
    }
    try {
      const answer = await run();
      await completeIdempotencyKey(store.db, key, answer.status, 'replay' in answer ? answer.replay : answer.body);
      return reply.status(answer.status).send(answer.body);
    } catch (error) {
      await releaseIdempotencyKey(store.db, key).catch(() => undefined);
      throw error;
    }
  }
  return reply
    .status(409)
    .send({ error: 'conflict', message: 'a request with this Idempotency-Key is still in progress; retry shortly' });
}

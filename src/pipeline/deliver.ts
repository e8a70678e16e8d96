import type { Job, Worker } from 'bullmq';
import type { Channel, SendTarget, SentRef } from '../channels/channel.js';
import { nowIso } from '../domain/ids.js';
import type { Delivery } from '../domain/types.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import {
  type DeliveryOutcome,
  claimDelivery,
  getDelivery,
  recordOutcome,
  threadSoFar,
} from '../store/deliveries-repo.js';
import type { Store } from '../store/store.js';
import { writeOnceDatabaseAnswers } from '../store/write-patiently.js';
import { type SiteInfo, loadUpdateContext } from './context.js';
import {
  type Failure,
  classifyFailure,
  deliveryRowAfter,
  describeError,
  failJob,
  jobAttempts,
  waitWithoutAttempt,
} from './failure.js';
import { EarlierUnknown, lookUpThenSend } from './lookup.js';
import type { DeliveryJobData } from './queues.js';

// A channel job of a channel that posts once per update (chat, social, forum, status page): wait for the thread's
// earlier post, claim the row, render, look up or send, edit the incident's first post, record.

export interface DeliverContext {
  store: Store;
  site: SiteInfo;
  logger: Logger;
  metrics?: Metrics;
  /** How long a threaded update waits before looking again at its predecessor on the channel. */
  predecessorPollMs: number;
}

export type JobResult = { outcome: 'delivered' | 'skipped' | 'failed' | 'noop' | 'refreshed'; reason?: string };

export async function deliverUpdate(
  ctx: DeliverContext,
  channel: Channel,
  worker: Worker,
  job: Job<DeliveryJobData, JobResult>,
  token: string | undefined,
): Promise<JobResult> {
  const { db } = ctx.store;
  const { deliveryId, generation } = job.data;
  const log = ctx.logger.child({ channel: channel.name, deliveryId, jobId: job.id });

  let thread: SendTarget['thread'];
  if (channel.capabilities.threads) {
    const sofar = await threadSoFar(db, deliveryId);
    // Replies must follow their predecessor: wait for it without spending an attempt.
    if (sofar.waiting) return waitWithoutAttempt(job, token, Date.now() + ctx.predecessorPollMs);
    // A reply goes under the last post whose id is known; with none known, the update starts a new post.
    if (sofar.first && sofar.latest) thread = { first: sofar.first, previous: sofar.latest };
  }

  const claim = await claimDelivery(db, deliveryId, generation, nowIso());
  if (!claim) return nothingToDo(ctx.store, deliveryId, generation);
  const { delivery: claimed, interrupted } = claim;
  const fail = (error: unknown, posted?: SentRef) =>
    recordFailure(ctx, channel, { worker, job, token }, claimed, error, log, posted);

  const abort = new AbortController();
  const target: SendTarget = { idempotencyKey: deliveryId, attempt: claimed.attempts, thread, signal: abort.signal };
  let rendered: unknown;
  let sent: SentRef;
  let note: string | null = null;
  try {
    const context = await loadUpdateContext(db, ctx.site, claimed.updateId);
    rendered = channel.render(context);
    sent =
      postedEarlier(claimed) ??
      (await lookUpThenSend(channel, rendered, target, interrupted, jobAttempts(job), log)).sent;
  } catch (error) {
    return fail(error);
  }

  if (thread && channel.editFirstPost && !sent.skipped) {
    try {
      await channel.editFirstPost(rendered, thread.first, target);
    } catch (error) {
      // Until the last attempt, retry the edit alone: the post is recorded with the failure, so it is not repeated.
      if (classifyFailure(error, jobAttempts(job)).action !== 'fail') return fail(error, sent);
      note = firstPostNotEdited(describeError(error));
      log.warn({ err: describeError(error) }, 'could not edit the incident’s first post; the update itself is posted');
    }
  }

  const now = nowIso();
  if (sent.skipped) {
    await recordSent(ctx, claimed, { state: 'skipped', error: sent.skipped }, now, log);
    ctx.metrics?.deliveries.inc({ channel: channel.name, outcome: 'skipped' });
    return { outcome: 'skipped', reason: sent.skipped };
  }
  await recordSent(
    ctx,
    claimed,
    {
      state: 'delivered',
      error: note,
      externalId: sent.externalId ?? null,
      externalUrl: sent.externalUrl ?? null,
      externalMeta: sent.meta ?? null,
      delivered: claimed.total,
      failed: 0,
    },
    now,
    log,
  );
  countDelivered(ctx, channel, claimed, now);
  return { outcome: 'delivered' };
}

/** The error a delivered row keeps when its update is posted but the incident's first post could not be edited. */
export const firstPostNotEdited = (reason: string) =>
  `posted, but the incident's first post still shows an earlier status: ${reason}`;

/** The post an earlier attempt made and recorded before its edit of the first post failed: only the edit is left. */
function postedEarlier(delivery: Delivery): SentRef | null {
  if (!delivery.externalId) return null;
  return {
    externalId: delivery.externalId,
    externalUrl: delivery.externalUrl ?? undefined,
    meta: delivery.externalMeta ?? undefined,
  };
}

function countDelivered(ctx: DeliverContext, channel: Channel, claimed: Delivery, now: string) {
  ctx.metrics?.deliveries.inc({ channel: channel.name, outcome: 'delivered' });
  ctx.metrics?.publishToDelivered.observe(
    { channel: channel.name },
    (Date.parse(now) - Date.parse(claimed.createdAt)) / 1000,
  );
}

/**
 * The post is out: its record is retried while the database is away, or a retry would post it again (or, where
 * the platform allows, have to look it up).
 */
function recordSent(ctx: DeliverContext, claimed: Delivery, outcome: DeliveryOutcome, now: string, log: Logger) {
  return writeOnceDatabaseAnswers(
    () => recordOutcome(ctx.store.db, claimed.id, claimed.generation, outcome, now),
    (error, retry) =>
      retry === 1 &&
      log.warn(
        { err: describeError(error) },
        'could not record the sent post; trying again until the database answers',
      ),
  );
}

/** Why a job found nothing to claim, for its result. */
async function nothingToDo(store: Store, deliveryId: string, generation: number): Promise<JobResult> {
  const current = await getDelivery(store.db, deliveryId);
  if (!current || current.generation !== generation)
    return { outcome: 'noop', reason: 'stale job: the delivery was retried or removed' };
  return { outcome: 'noop', reason: `already ${current.state}` };
}

/**
 * Records a failed attempt as ./failure.ts decides, and tells BullMQ what to do next. `posted`: the update's own
 * post went out before the failure (a failed edit of the first post); it is recorded on the row so the retry does
 * not post it again.
 */
async function recordFailure(
  ctx: DeliverContext,
  channel: Channel,
  queue: { worker: Worker; job: Job; token: string | undefined },
  delivery: Delivery,
  thrown: unknown,
  log: Logger,
  posted?: SentRef,
): Promise<JobResult> {
  const earlierUnknown = thrown instanceof EarlierUnknown;
  const error = thrown instanceof EarlierUnknown ? thrown.failure : thrown;
  const failure: Failure = classifyFailure(error, jobAttempts(queue.job));
  const row = deliveryRowAfter(failure, earlierUnknown);
  const now = nowIso();
  const outcome: DeliveryOutcome = {
    state: row.state,
    error: row.error,
    ...(posted
      ? {
          externalId: posted.externalId ?? null,
          externalUrl: posted.externalUrl ?? null,
          externalMeta: posted.meta ?? null,
        }
      : {}),
    ...(row.rateLimitedUntil
      ? { rateLimitedUntil: row.rateLimitedUntil }
      : {
          delivered: row.state === 'delivered' ? delivery.total : 0,
          failed: row.state === 'failed' ? delivery.total : 0,
        }),
  };
  // With a post out, its record is retried while the database is away, as after a send (else the retry posts again).
  if (posted) await recordSent(ctx, delivery, outcome, now, log);
  else await recordOutcome(ctx.store.db, delivery.id, delivery.generation, outcome, now);

  if (row.state === 'delivered') {
    log.warn({ err: failure.message }, 'the platform refused a retry as a duplicate: the earlier post is there');
    countDelivered(ctx, channel, delivery, now);
    return { outcome: 'delivered', reason: row.error };
  }
  if (failure.action === 'wait') {
    ctx.metrics?.deliveries.inc({ channel: channel.name, outcome: 'rate_limited' });
    log.warn(
      { until: row.rateLimitedUntil },
      'rate-limited by provider; the channel waits without spending an attempt',
    );
  } else {
    const final = failure.action === 'fail';
    ctx.metrics?.deliveries.inc({ channel: channel.name, outcome: final ? 'failed' : 'retried' });
    log.warn(
      { err: failure.message, attempt: queue.job.attemptsMade + 1, final },
      final ? 'delivery failed' : 'delivery attempt failed; will retry',
    );
  }
  return failJob(failure, { ...queue, scope: 'queue' }, error);
}

import { setMaxListeners } from 'node:events';
import type { Job } from 'bullmq';
import type { AudienceChannel, Recipient } from '../../channels/channel.js';
import { nowIso } from '../../domain/ids.js';
import { getDelivery } from '../../store/deliveries-repo.js';
import {
  type PageRecipient,
  claimRecipients,
  getPage,
  markPageDone,
  unsentRecipients,
} from '../../store/fanout-repo.js';
import type { JobResult } from '../deliver.js';
import { classifyFailure, jobAttempts, waitWithoutAttempt } from '../failure.js';
import { OutcomeRecorder } from './recorder.js';
import { type FanoutPageJobData, type FanoutRuntime, tuning } from './runtime.js';
import { isSettled, settleIfDone } from './settle.js';

/** Recipients claimed at once: a claim is one statement, and a smaller window for a killed worker to leave. */
const CLAIM_CHUNK = 50;

/** A page job: claims its recipients, sends to each, records every outcome (./recorder.ts). */
export async function sendPage(
  fanout: FanoutRuntime,
  channel: AudienceChannel,
  job: Job<FanoutPageJobData, JobResult>,
  token: string | undefined,
): Promise<JobResult> {
  const { store, logger, lockDurationMs } = fanout.options;
  const { db } = store;
  const data = job.data;
  const log = logger.child({ channel: channel.name, deliveryId: data.deliveryId, page: data.seq });
  const delivery = await getDelivery(db, data.deliveryId);
  if (!delivery || delivery.generation !== data.generation)
    return { outcome: 'noop', reason: 'stale page: the delivery was retried or removed' };
  if (isSettled(delivery)) return { outcome: 'noop', reason: `already ${delivery.state}` };
  const page = await getPage(db, data);
  if (!page) return { outcome: 'noop', reason: 'page not found' };
  if (Number(page.done) === 1) {
    await settleIfDone(db, data.deliveryId, data.generation);
    return { outcome: 'noop', reason: 'page already done' };
  }

  const t = tuning(channel);
  const attempts = jobAttempts(job, t.attempts);
  const rendered = await fanout.renderedFor(channel, delivery.updateId);
  const rows = await unsentRecipients(db, data.deliveryId, page);

  const recorder = new OutcomeRecorder(store, data, channel, log);
  // A row left 'sending' by a crashed attempt may have gone out: it is sent again (at least once), but only
  // once its claim is older than a job lock, so a still-running copy of this page is never doubled.
  const freshBefore = new Date(Date.now() - lockDurationMs).toISOString();
  const toSend: PageRecipient[] = [];
  let deferred = 0;
  for (const row of rows) {
    if (!row.sid || row.sstate !== 'active' || row.confirmed_at === null)
      recorder.push({ kind: 'skipped', id: row.subscriber_id });
    else if (row.state === 'sending' && row.updated_at > freshBefore) deferred++;
    else toSend.push(row);
  }

  let rateLimitedUntil: number | undefined;
  const abort = new AbortController();
  // Every send in flight listens on this one signal (fetch adds a listener each).
  setMaxListeners(t.sendConcurrency + 10, abort.signal);
  const sendOne = async (row: PageRecipient) => {
    if (rateLimitedUntil !== undefined) {
      recorder.push({
        kind: 'retry',
        id: row.subscriber_id,
        error: 'not sent: the provider rate-limited this channel',
      });
      return;
    }
    const recipient: Recipient = {
      subscriberId: row.subscriber_id,
      kind: row.kind as Recipient['kind'],
      address: row.address!,
      secret: row.secret ?? null,
      ...(row.webhook_format === 'statuspage' ? { format: 'statuspage' as const } : {}),
    };
    try {
      const ref = await channel.sendTo(rendered, recipient, {
        idempotencyKey: `${data.deliveryId}-${row.subscriber_id}`,
        attempt: Number(row.attempts) + 1,
        signal: abort.signal,
      });
      recorder.push({ kind: 'sent', id: row.subscriber_id, externalId: ref.externalId });
    } catch (error) {
      const failure = classifyFailure(error, attempts);
      if (failure.action === 'wait') {
        rateLimitedUntil = Math.max(rateLimitedUntil ?? 0, failure.untilMs);
        recorder.push({ kind: 'retry', id: row.subscriber_id, error: failure.message });
      } else if (failure.action === 'fail') {
        recorder.push({ kind: 'failed', id: row.subscriber_id, error: failure.message, rejected: failure.rejected });
      } else {
        recorder.push({ kind: 'retry', id: row.subscriber_id, error: failure.message });
      }
    }
  };
  try {
    for (
      let i = 0;
      i < toSend.length && rateLimitedUntil === undefined && recorder.writeError === undefined;
      i += CLAIM_CHUNK
    ) {
      // While the database is away, claim nothing more: wait until what was sent is recorded (or the page gives up).
      if (recorder.waitingForDatabase) await recorder.flush().catch(() => undefined);
      if (recorder.writeError !== undefined) break;
      // Claim only what is still as we saw it (pending, or left 'sending' by a crash long enough ago), and send
      // only what this claim returned: a second copy of the page (a lock that lapsed under load) gets nothing.
      const seen = toSend.slice(i, i + CLAIM_CHUNK);
      const mine = await claimRecipients(
        db,
        data.deliveryId,
        seen.map((r) => r.subscriber_id),
        freshBefore,
        nowIso(),
      );
      await runPool(
        seen.filter((r) => mine.has(r.subscriber_id)),
        t.sendConcurrency,
        sendOne,
      );
    }
  } catch (error) {
    // Whatever stopped the page (a claim that met a database restart, say), what it sent is recorded first:
    // otherwise its retry would send those messages again.
    await recorder.flush().catch(() => undefined);
    throw error;
  }
  await recorder.flush();

  if (rateLimitedUntil !== undefined) {
    log.warn(
      { until: new Date(rateLimitedUntil).toISOString() },
      'rate-limited by the provider; the page waits without spending an attempt',
    );
    return waitWithoutAttempt(job, token, rateLimitedUntil);
  }
  if (recorder.retries > 0) {
    throw new Error(
      `${recorder.retries} recipient(s) failed retryably (last: ${recorder.lastError}); retrying the page`,
    );
  }
  if (deferred > 0) return waitWithoutAttempt(job, token, Date.now() + lockDurationMs);
  await markPageDone(db, data);
  await settleIfDone(db, data.deliveryId, data.generation);
  return {
    outcome: 'delivered',
    reason: `page ${data.seq}: ${recorder.sent} sent, ${recorder.failed} failed, ${recorder.skipped} skipped`,
  };
}

async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

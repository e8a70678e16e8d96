import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { type AudienceChannel, type Channel, isAudienceChannel } from '../channels/channel.js';
import { PermanentError, RateLimitedError } from '../channels/errors.js';
import type { SubscriberKind } from '../domain/types.js';
import { pauseQueueUntil, withTimeout, workerConnectionOptions, workerLimiter } from '../pipeline/queues.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../store/store.js';
import { confirmUrl } from './tokens.js';

// Opt-in messages go through a queue of their own, like deliveries: a provider that is down or rate-limiting
// when someone signs up delays the message (retried with backoff) instead of losing it, and `herald serve
// --no-workers` leaves the sending to the worker processes.

export const CONFIRMATIONS_QUEUE = 'confirmations';

export interface ConfirmationJobData {
  subscriberId: string;
  /** The subscriber's confirmation_sent_at when this message was asked for: a newer request supersedes it. */
  requestedAt: string;
}

/** The channel that sends opt-in messages for this kind of subscriber, if one is configured. */
export function confirmationChannel(
  channels: ReadonlyArray<Channel>,
  kind: SubscriberKind,
): AudienceChannel | undefined {
  return channels
    .filter(isAudienceChannel)
    .find((c) => c.recipientKind === kind && typeof c.sendConfirmation === 'function');
}

/** The producer side: one job per requested message, its id derived from the request so a repeat is one job. */
export class ConfirmationQueue {
  private readonly queue: Queue<ConfirmationJobData>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<ConfirmationJobData>(CONFIRMATIONS_QUEUE, {
      connection: connection as ConnectionOptions,
      prefix,
    });
    this.queue.on('error', () => undefined); // surfaced through enqueue() instead
  }

  async enqueue(data: ConfirmationJobData, timeoutMs = 3_000): Promise<void> {
    const jobId = `confirm-${data.subscriberId}-${Date.parse(data.requestedAt)}`;
    await withTimeout(
      this.queue.add('confirm', data, {
        jobId,
        attempts: 8,
        backoff: { type: 'exponential', delay: 2_000, jitter: 0.3 },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 14 * 24 * 3600 },
      }),
      timeoutMs,
      'enqueue timed out',
    );
  }

  depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export interface ConfirmationWorkerOptions {
  store: Store;
  channels: ReadonlyArray<Channel>;
  redisUrl: string;
  prefix: string;
  publicUrl: string;
  secret: string;
  logger: Logger;
}

type Outcome = { outcome: 'sent' | 'noop'; reason?: string };

/** The consumer side, started with the delivery workers; none when no channel sends opt-in messages. */
export function startConfirmationWorker(
  options: ConfirmationWorkerOptions,
): Worker<ConfirmationJobData, Outcome> | undefined {
  if (!options.channels.some((c) => isAudienceChannel(c) && typeof c.sendConfirmation === 'function')) return undefined;
  const worker: Worker<ConfirmationJobData, Outcome> = new Worker<ConfirmationJobData, Outcome>(
    CONFIRMATIONS_QUEUE,
    (job) => sendConfirmationJob(options, worker, job),
    {
      connection: workerConnectionOptions(options.redisUrl),
      prefix: options.prefix,
      concurrency: 4,
      limiter: workerLimiter(),
    },
  );
  worker.on('error', (error) => options.logger.warn({ err: error }, 'confirmation worker connection error'));
  return worker;
}

async function sendConfirmationJob(
  options: ConfirmationWorkerOptions,
  worker: Worker,
  job: Job<ConfirmationJobData, Outcome>,
): Promise<Outcome> {
  const { db } = options.store;
  const { subscriberId, requestedAt } = job.data;
  const row = await db.selectFrom('subscribers').selectAll().where('id', '=', subscriberId).executeTakeFirst();
  if (!row) return { outcome: 'noop', reason: 'the subscriber was removed' };
  if (row.confirmed_at !== null) return { outcome: 'noop', reason: 'already confirmed' };
  if (row.confirmation_sent_at !== requestedAt) return { outcome: 'noop', reason: 'superseded by a newer request' };
  const kind = row.kind as SubscriberKind;
  const channel = confirmationChannel(options.channels, kind);
  if (!channel) return { outcome: 'noop', reason: `no channel sends ${kind} confirmations any more` };

  const log = options.logger.child({ subscriberId, channel: channel.name, jobId: job.id });
  try {
    await channel.sendConfirmation!(
      { subscriberId, kind, address: row.address, secret: row.secret },
      confirmUrl(options.publicUrl, options.secret, subscriberId),
    );
    return { outcome: 'sent' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RateLimitedError) {
      log.warn(
        { until: new Date(error.untilMs).toISOString() },
        'confirmation rate-limited by the provider; waiting without spending an attempt',
      );
      throw await pauseQueueUntil(worker, error.untilMs);
    }
    const permanent = error instanceof PermanentError; // RecipientRejectedError included
    const final = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final)
      await db
        .updateTable('subscribers')
        .set({ last_error: `confirmation not sent: ${message}` })
        .where('id', '=', subscriberId)
        .execute();
    log.warn(
      { err: message, attempt: job.attemptsMade + 1, final },
      final ? 'confirmation message could not be sent' : 'confirmation attempt failed; will retry',
    );
    if (permanent) throw new UnrecoverableError(message);
    throw error instanceof Error ? error : new Error(message);
  }
}

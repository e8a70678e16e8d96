import { type ConnectionOptions, type Job, Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type AudienceChannel, type Channel, isAudienceChannel } from '../channels/channel.js';
import type { SubscriberKind } from '../domain/types.js';
import type { EngineJob } from '../pipeline/engine.js';
import { classifyFailure, failJob, jobAttempts } from '../pipeline/failure.js';
import { withTimeout, workerLimiter } from '../pipeline/queues.js';
import type { Logger } from '../runtime/logger.js';
import { noteSubscriberError } from '../store/audience-repo.js';
import { findSubscriberById } from '../store/subscribers-repo.js';
import type { Store } from '../store/store.js';
import { confirmUrl } from '../domain/link-tokens.js';

// Opt-in messages are jobs of the delivery engine, on a queue of their own: a provider that is down or
// rate-limiting when someone signs up delays the message (retried with backoff, as ../pipeline/failure.ts
// decides) instead of losing it, and `herald serve --no-workers` leaves the sending to the worker processes.

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

export interface ConfirmationJobOptions {
  store: Store;
  channels: ReadonlyArray<Channel>;
  /** Herald's own address: the confirm link points there. */
  appUrl: string;
  secret: string;
  logger: Logger;
}

type Outcome = { outcome: 'sent' | 'noop'; reason?: string };

/** The engine's job for opt-in messages; none when no channel sends them. */
export function confirmationJob(options: ConfirmationJobOptions): EngineJob<ConfirmationJobData, Outcome> | undefined {
  if (!options.channels.some((c) => isAudienceChannel(c) && typeof c.sendConfirmation === 'function')) return undefined;
  return {
    queue: CONFIRMATIONS_QUEUE,
    concurrency: 4,
    limiter: workerLimiter(),
    process: (job, worker, token) => sendConfirmationJob(options, worker, job, token),
  };
}

async function sendConfirmationJob(
  options: ConfirmationJobOptions,
  worker: Worker,
  job: Job<ConfirmationJobData, Outcome>,
  token: string | undefined,
): Promise<Outcome> {
  const { db } = options.store;
  const { subscriberId, requestedAt } = job.data;
  const row = await findSubscriberById(db, subscriberId);
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
      confirmUrl(options.appUrl, options.secret, subscriberId),
    );
    return { outcome: 'sent' };
  } catch (error) {
    const failure = classifyFailure(error, jobAttempts(job));
    if (failure.action === 'wait') {
      log.warn(
        { until: new Date(failure.untilMs).toISOString() },
        'confirmation rate-limited by the provider; waiting without spending an attempt',
      );
    } else {
      const final = failure.action === 'fail';
      if (final) await noteSubscriberError(db, subscriberId, `confirmation not sent: ${failure.message}`);
      log.warn(
        { err: failure.message, attempt: job.attemptsMade + 1, final },
        final ? 'confirmation message could not be sent' : 'confirmation attempt failed; will retry',
      );
    }
    return failJob(failure, { worker, job, token, scope: 'queue' }, error);
  }
}

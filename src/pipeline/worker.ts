import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { type Channel, type SendTarget, type SentRef, isAudienceChannel } from '../channels/channel.js';
import { ChannelError, PermanentError, RateLimitedError } from '../channels/errors.js';
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
import { writeOnceDatabaseAnswers } from '../store/write-patiently.js';
import type { Store } from '../store/store.js';
import { type SiteInfo, loadUpdateContext } from './context.js';
import { processAudienceDelivery, startFanoutWorkers, stopFanoutWorkers, waitForFanoutWorkers } from './fanout.js';
import { startConfirmationWorker } from '../subscribers/confirmations.js';
import { refreshChannels } from './state-refresh.js';
import {
  type ChannelJobData,
  type DeliveryJobData,
  type RefreshJobData,
  isRefreshJob,
  pauseQueueUntil,
  queueName,
  workerConnectionOptions,
  workerLimiter,
} from './queues.js';

export interface WorkerOptions {
  store: Store;
  channels: ReadonlyArray<Channel>;
  redisUrl: string;
  prefix: string;
  site: SiteInfo;
  /** Signs the links in opt-in messages (the confirmation worker runs beside the delivery workers). */
  secret: string;
  logger: Logger;
  metrics?: Metrics;
  /** How long a job's lock lives without renewal; a killed worker's job is taken over after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How long a threaded update waits before looking again at its predecessor on the channel. */
  predecessorPollMs?: number;
}

export type JobResult = { outcome: 'delivered' | 'skipped' | 'failed' | 'noop' | 'refreshed'; reason?: string };

/** One BullMQ worker per channel: its own concurrency and rate limit, from the channel's capabilities. */
export class DeliveryWorkers {
  private readonly workers: Worker<ChannelJobData, JobResult>[] = [];
  private confirmations?: Worker;
  /** Refreshes started by refresh jobs and still running (see refresh). */
  private readonly refreshing = new Set<Promise<void>>();

  constructor(private readonly options: WorkerOptions) {}

  start(): this {
    const { options } = this;
    for (const channel of options.channels) {
      const { capabilities } = channel;
      const worker: Worker<ChannelJobData, JobResult> = new Worker<ChannelJobData, JobResult>(
        queueName(channel.name),
        (job, token) =>
          isRefreshJob(job.data)
            ? Promise.resolve(this.refresh(channel, job.data))
            : processDelivery(options, channel, worker, job as Job<DeliveryJobData, JobResult>, token),
        {
          connection: workerConnectionOptions(options.redisUrl),
          prefix: options.prefix,
          concurrency: capabilities.concurrency ?? 5,
          limiter: workerLimiter(capabilities.rate),
          lockDuration: options.lockDurationMs ?? 30_000,
          stalledInterval: options.stalledIntervalMs ?? options.lockDurationMs ?? 30_000,
          maxStalledCount: 2,
          autorun: true,
        },
      );
      worker.on('error', (error) =>
        options.logger.warn({ channel: channel.name, err: error }, 'worker connection error'),
      );
      this.workers.push(worker);
    }
    // Audience channels (email, SMS, webhooks) also get a page worker: see ./fanout.ts.
    startFanoutWorkers(options, options.channels.filter(isAudienceChannel));
    this.confirmations = startConfirmationWorker({ ...options, publicUrl: options.site.publicUrl });
    return this;
  }

  /**
   * A change not sent to a channel that shows current state. The job only starts the refresh: a status site
   * rebuilds one at a time and coalesces what comes meanwhile, so jobs that waited for it would each hold one of
   * the queue's few slots for a whole rebuild, and under a stream of updates their backlog would outgrow it. A
   * refresh that fails is logged, not retried: the next change repairs it. close() waits for running ones.
   */
  private refresh(channel: Channel, data: RefreshJobData): JobResult {
    if (!channel.refresh) return { outcome: 'noop', reason: `${channel.name} shows no current state` };
    const running: Promise<void> = refreshChannels([channel], data.refresh, this.options.logger).finally(() =>
      this.refreshing.delete(running),
    );
    this.refreshing.add(running);
    return { outcome: 'refreshed' };
  }

  /** Stops taking jobs, lets active ones finish, closes connections (SIGTERM path). */
  async close(): Promise<void> {
    // A worker closed while its connections are still starting leaves their first commands to be rejected
    // ("Connection is closed") with nobody listening: let them come up first (bounded, for a Redis that is down).
    await Promise.race([
      this.waitUntilReady().catch(() => undefined),
      new Promise((r) => setTimeout(r, 3_000).unref()),
    ]);
    await Promise.allSettled(this.all().map((w) => w.close()));
    await Promise.allSettled([...this.refreshing]);
    this.workers.length = 0;
    this.confirmations = undefined;
    await stopFanoutWorkers(this.options);
  }

  /** Calls `listener` each time a delivery job completes, on any channel (its row is recorded by then). */
  onCompleted(listener: (data: DeliveryJobData) => void): void {
    for (const worker of this.workers) worker.on('completed', (job) => isRefreshJob(job.data) || listener(job.data));
  }

  private all(): Worker[] {
    return this.confirmations ? [...this.workers, this.confirmations] : this.workers;
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.all().map((w) => w.waitUntilReady()));
    await waitForFanoutWorkers(this.options);
  }
}

export async function processDelivery(
  options: WorkerOptions,
  channel: Channel,
  worker: Worker,
  job: Job<DeliveryJobData, JobResult>,
  token: string | undefined,
): Promise<JobResult> {
  const { store, logger, metrics } = options;
  const { db } = store;
  const { deliveryId, generation } = job.data;
  const log = logger.child({ channel: channel.name, deliveryId, jobId: job.id });

  if (isAudienceChannel(channel)) return processAudienceDelivery(options, channel, job);

  let thread: SendTarget['thread'];
  if (channel.capabilities.threads) {
    const sofar = await threadSoFar(db, deliveryId);
    if (sofar.waiting) {
      // Replies must follow their predecessor: wait for it without spending an attempt.
      await job.moveToDelayed(Date.now() + (options.predecessorPollMs ?? 150), token);
      throw new DelayedError();
    }
    if (sofar.first && sofar.latest) thread = { first: sofar.first, previous: sofar.latest };
  }

  const claim = await claimDelivery(db, deliveryId, generation, nowIso());
  if (!claim) return nothingToDo(db, deliveryId, generation);
  const { delivery: claimed, interrupted } = claim;

  const abort = new AbortController();
  const target: SendTarget = { idempotencyKey: deliveryId, attempt: claimed.attempts, thread, signal: abort.signal };
  let rendered: unknown;
  let sent: SentRef;
  try {
    const context = await loadUpdateContext(db, options.site, claimed.updateId);
    rendered = channel.render(context);
    sent = postedEarlier(claimed) ?? (await findOrSend(channel, rendered, target, interrupted, log));
  } catch (error) {
    return handleFailure(options, channel, worker, job, claimed, error, log);
  }

  let editError: string | null = null;
  if (thread && channel.editFirstPost && !sent.skipped) {
    try {
      await channel.editFirstPost(rendered, thread.first, target);
    } catch (error) {
      // Until the last attempt, retry the edit alone: the post is recorded with the failure, so it is not repeated.
      if (!isFinalFailure(job, error)) return handleFailure(options, channel, worker, job, claimed, error, log, sent);
      editError = firstPostNotEdited(describe(error));
      log.warn({ err: describe(error) }, 'could not edit the incident’s first post; the update itself is posted');
    }
  }

  const now = nowIso();
  // The post is out: its record is retried while the database is away, or a retry would post it again (or, where
  // the platform allows, have to look it up).
  const record = (outcome: DeliveryOutcome) =>
    writeOnceDatabaseAnswers(
      () => recordOutcome(db, deliveryId, generation, outcome, now),
      (error, retry) =>
        retry === 1 &&
        log.warn({ err: describe(error) }, 'could not record the sent post; trying again until the database answers'),
    );
  if (sent.skipped) {
    await record({ state: 'skipped', error: sent.skipped });
    metrics?.deliveries.inc({ channel: channel.name, outcome: 'skipped' });
    return { outcome: 'skipped', reason: sent.skipped };
  }
  await record({
    state: 'delivered',
    error: editError,
    externalId: sent.externalId ?? null,
    externalUrl: sent.externalUrl ?? null,
    externalMeta: sent.meta ?? null,
    delivered: claimed.total,
    failed: 0,
  });
  metrics?.deliveries.inc({ channel: channel.name, outcome: 'delivered' });
  metrics?.publishToDelivered.observe(
    { channel: channel.name },
    (Date.parse(now) - Date.parse(claimed.createdAt)) / 1000,
  );
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

/** Posts, unless an attempt that died before recording its result had posted already (the platform is asked). */
async function findOrSend(
  channel: Channel,
  rendered: unknown,
  target: SendTarget,
  interrupted: boolean,
  log: Logger,
): Promise<SentRef> {
  const found = interrupted && channel.reconcile ? await channel.reconcile(rendered, target) : null;
  if (found)
    log.info({ externalId: found.externalId }, 'earlier attempt had posted; recorded it instead of posting again');
  return found ?? (await channel.send(rendered, target));
}

/** A rate limit never ends a delivery (the channel waits); a permanent error or the last attempt does. */
function isFinalFailure(job: Job, error: unknown): boolean {
  if (error instanceof RateLimitedError) return false;
  return error instanceof PermanentError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Why a job found nothing to claim, for its result. */
async function nothingToDo(db: Store['db'], deliveryId: string, generation: number): Promise<JobResult> {
  const current = await getDelivery(db, deliveryId);
  if (!current || current.generation !== generation)
    return { outcome: 'noop', reason: 'stale job: the delivery was retried or removed' };
  return { outcome: 'noop', reason: `already ${current.state}` };
}

/**
 * Records a failed attempt and tells BullMQ what to do next. `posted`: the update's own post went out before the
 * failure (a failed edit of the first post); it is recorded on the row so the retry does not post it again.
 */
async function handleFailure(
  options: WorkerOptions,
  channel: Channel,
  worker: Worker,
  job: Job<DeliveryJobData, JobResult>,
  delivery: Delivery,
  error: unknown,
  log: Logger,
  posted?: SentRef,
): Promise<never> {
  const { db } = options.store;
  const message = describe(error);
  const now = nowIso();
  const { id, generation } = delivery;
  const postColumns: Omit<DeliveryOutcome, 'state'> = posted
    ? {
        externalId: posted.externalId ?? null,
        externalUrl: posted.externalUrl ?? null,
        externalMeta: posted.meta ?? null,
      }
    : {};
  // With a post out, its record is retried while the database is away, as after a send (else the retry posts again).
  const save = (outcome: DeliveryOutcome) =>
    posted
      ? writeOnceDatabaseAnswers(
          () => recordOutcome(db, id, generation, outcome, now),
          (err, retry) =>
            retry === 1 &&
            log.warn(
              { err: describe(err) },
              'could not record the post before retrying its edit; trying again until the database answers',
            ),
        )
      : recordOutcome(db, id, generation, outcome, now);

  if (error instanceof RateLimitedError) {
    const waitMs = Math.max(0, error.untilMs - Date.now());
    const until = new Date(Date.now() + waitMs).toISOString();
    await save({
      ...postColumns,
      state: 'pending',
      error: `rate-limited until ${until}: ${message}`,
      rateLimitedUntil: until,
    });
    options.metrics?.deliveries.inc({ channel: channel.name, outcome: 'rate_limited' });
    log.warn({ until }, 'rate-limited by provider; the channel waits without spending an attempt');
    throw await pauseQueueUntil(worker, error.untilMs);
  }

  const final = isFinalFailure(job, error);
  await save({
    ...postColumns,
    state: final ? 'failed' : 'pending',
    error: message,
    delivered: 0,
    failed: final ? delivery.total : 0,
  });
  options.metrics?.deliveries.inc({ channel: channel.name, outcome: final ? 'failed' : 'retried' });
  log.warn(
    { err: message, attempt: job.attemptsMade + 1, final },
    final ? 'delivery failed' : 'delivery attempt failed; will retry',
  );
  if (error instanceof PermanentError) throw new UnrecoverableError(message);
  throw error instanceof Error ? error : new Error(message);
}

function describe(error: unknown): string {
  if (error instanceof ChannelError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

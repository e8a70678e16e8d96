import { type Job, Queue, Worker } from 'bullmq';
import { type AudienceChannel, type Channel, isAudienceChannel } from '../channels/channel.js';
import type { Logger } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import { PeriodicTask } from '../runtime/periodic.js';
import type { Store } from '../store/store.js';
import type { SiteInfo } from './context.js';
import { type JobResult, deliverUpdate } from './deliver.js';
import { sendPage } from './fanout/page.js';
import { planFanout } from './fanout/plan.js';
import { type FanoutPageJobData, FanoutRuntime, pageQueueName, tuning } from './fanout/runtime.js';
import {
  type ChannelJobData,
  type DeliveryJobData,
  type RefreshJobData,
  isRefreshJob,
  queueName,
  workerConnectionOptions,
  workerLimiter,
} from './queues.js';
import { refreshChannels } from './state-refresh.js';

/**
 * One kind of job the engine runs: its queue, how many at once, and what a job does. The processor sends and
 * leaves every retry decision to ./failure.ts. `every`: the engine adds one such job per period itself (its id
 * names the period, so several processes add one), for checks that run on a clock (reminders).
 */
export interface EngineJob<Data = unknown, Result = unknown> {
  queue: string;
  concurrency: number;
  limiter?: { max: number; duration: number };
  /** How often a job whose worker died is taken over before it fails; default 2. */
  maxStalledCount?: number;
  process(job: Job<Data, Result>, worker: Worker<Data, Result>, token: string | undefined): Promise<Result>;
  every?: { ms: number; name: string };
}

/** A job kind with its data and result types left behind, for the engine's list of other senders. */
export type AnyEngineJob = EngineJob<unknown, unknown>;
export const erasedJob = <D, R>(job: EngineJob<D, R>): AnyEngineJob => job as unknown as AnyEngineJob;

export interface EngineOptions {
  store: Store;
  channels: ReadonlyArray<Channel>;
  redisUrl: string;
  prefix: string;
  site: SiteInfo;
  logger: Logger;
  metrics?: Metrics;
  /** How long a job's lock lives without renewal; a killed worker's job is taken over after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How long a threaded update waits before looking again at its predecessor on the channel. */
  predecessorPollMs?: number;
  /** Jobs of other senders (confirmation messages, reminders), run by the same workers' rules. */
  jobs?: ReadonlyArray<AnyEngineJob>;
}

/**
 * The delivery engine: every send Herald makes runs here as a job. A queue per channel (its own concurrency and
 * rate limit, from the channel's capabilities), a page queue per audience channel, and the queues of the other
 * senders. Started and closed by the composition root (src/app/herald.ts).
 */
export class DeliveryEngine {
  private readonly workers: Worker[] = [];
  private readonly channelWorkers: Worker<ChannelJobData, JobResult>[] = [];
  private readonly clocks: Array<{ task: PeriodicTask<unknown>; queue: Queue }> = [];
  /** Refreshes started by refresh jobs and still running (see refresh). */
  private readonly refreshing = new Set<Promise<void>>();
  private readonly fanout: FanoutRuntime;
  private readonly lockDurationMs: number;

  constructor(private readonly options: EngineOptions) {
    this.lockDurationMs = options.lockDurationMs ?? 30_000;
    this.fanout = new FanoutRuntime({
      store: options.store,
      site: options.site,
      logger: options.logger,
      redisUrl: options.redisUrl,
      prefix: options.prefix,
      lockDurationMs: this.lockDurationMs,
    });
  }

  start(): this {
    for (const channel of this.options.channels) this.channelWorkers.push(this.run(this.channelJob(channel)));
    // Audience channels (email, SMS, webhooks) also get a page queue: see ./fanout/runtime.ts.
    for (const channel of this.options.channels.filter(isAudienceChannel)) this.run(this.pageJob(channel));
    for (const job of this.options.jobs ?? []) {
      this.run(job);
      if (job.every) this.clock(job.queue, job.every);
    }
    return this;
  }

  private channelJob(channel: Channel): EngineJob<ChannelJobData, JobResult> {
    const deliver = {
      store: this.options.store,
      site: this.options.site,
      logger: this.options.logger,
      metrics: this.options.metrics,
      predecessorPollMs: this.options.predecessorPollMs ?? 150,
    };
    return {
      queue: queueName(channel.name),
      concurrency: channel.capabilities.concurrency ?? 5,
      limiter: workerLimiter(channel.capabilities.rate),
      process: (job, worker, token) => {
        if (isRefreshJob(job.data)) return Promise.resolve(this.refresh(channel, job.data));
        const delivery = job as Job<DeliveryJobData, JobResult>;
        return isAudienceChannel(channel)
          ? planFanout(this.fanout, channel, delivery)
          : deliverUpdate(deliver, channel, worker, delivery, token);
      },
    };
  }

  private pageJob(channel: AudienceChannel): EngineJob<FanoutPageJobData, JobResult> {
    return {
      queue: pageQueueName(channel.name),
      concurrency: tuning(channel).pageConcurrency,
      maxStalledCount: 5,
      process: (job, _worker, token) => sendPage(this.fanout, channel, job, token),
    };
  }

  /** The one place a BullMQ worker is made: every queue gets the same connection, lock and stall rules. */
  private run<D, R>(kind: EngineJob<D, R>): Worker<D, R> {
    const { options } = this;
    const worker: Worker<D, R> = new Worker<D, R>(kind.queue, (job, token) => kind.process(job, worker, token), {
      connection: workerConnectionOptions(options.redisUrl),
      prefix: options.prefix,
      concurrency: kind.concurrency,
      ...(kind.limiter ? { limiter: kind.limiter } : {}),
      lockDuration: this.lockDurationMs,
      stalledInterval: options.stalledIntervalMs ?? this.lockDurationMs,
      maxStalledCount: kind.maxStalledCount ?? 2,
    });
    worker.on('error', (err) =>
      options.logger.warn({ queue: kind.queue, err: err.message }, 'worker connection error'),
    );
    this.workers.push(worker as Worker);
    return worker;
  }

  /** Adds a job to `queue` each period, with an id naming the period: processes running side by side add one. */
  private clock(queueName: string, every: { ms: number; name: string }) {
    const queue = new Queue(queueName, {
      connection: workerConnectionOptions(this.options.redisUrl),
      prefix: this.options.prefix,
    });
    queue.on('error', () => undefined); // the next period tries again
    const add = async () => {
      const slot = Math.floor(Date.now() / every.ms);
      await queue.add(
        every.name,
        {},
        {
          jobId: `${every.name}-${slot}`,
          removeOnComplete: { age: 3600, count: 100 },
          removeOnFail: { age: 24 * 3600 },
        },
      );
    };
    const task = new PeriodicTask(add, every.ms, (err) =>
      this.options.logger.warn({ queue: queueName, err: (err as Error).message }, 'could not schedule a check'),
    ).start({ runNow: true });
    this.clocks.push({ task, queue });
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
    await Promise.allSettled(this.clocks.map((c) => c.task.stop()));
    // A worker closed while its connections are still starting leaves their first commands to be rejected
    // ("Connection is closed") with nobody listening: let them come up first (bounded, for a Redis that is down).
    await Promise.race([
      this.waitUntilReady().catch(() => undefined),
      new Promise((r) => setTimeout(r, 3_000).unref()),
    ]);
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.refreshing]);
    await Promise.allSettled(this.clocks.map((c) => c.queue.close()));
    await this.fanout.close();
    this.workers.length = 0;
    this.channelWorkers.length = 0;
    this.clocks.length = 0;
  }

  /** Calls `listener` each time a delivery job completes, on any channel (its row is recorded by then). */
  onCompleted(listener: (data: DeliveryJobData) => void): void {
    for (const worker of this.channelWorkers)
      worker.on('completed', (job) => isRefreshJob(job.data) || listener(job.data));
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }
}

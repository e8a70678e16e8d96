import { FlowProducer, Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { ChannelCapabilities, StateChange } from '../channels/channel.js';
import type { Delivery } from '../domain/types.js';

/** Each queue's job data: only the row's id and generation; the worker reads the rest from the database. */
export interface DeliveryJobData {
  deliveryId: string;
  generation: number;
}

/**
 * A job with no delivery row: a channel that shows current state (the status page) is to show a change that was
 * not sent to it (see publish's showStateLeftOut).
 */
export interface RefreshJobData {
  refresh: StateChange;
}

export type ChannelJobData = DeliveryJobData | RefreshJobData;

/** A component's status changed outside an update: the event's id (its component_status_changes row). */
export interface ComponentEventJobData {
  eventId: string;
}

export const COMPONENT_EVENTS_QUEUE = 'component-events';
export const componentEventJobId = (eventId: string) => `component-event-${eventId}`;

export const isRefreshJob = (data: ChannelJobData): data is RefreshJobData => 'refresh' in data;

const REFRESH_JOB_OPTIONS: JobsOptions = { removeOnComplete: true, removeOnFail: { age: 24 * 3600 } };

export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

export const queueName = (channel: string) => `deliver-${channel}`;

/** Derived from the row, so adding the same delivery twice is one job. BullMQ refuses ':' in custom ids. */
export const jobIdFor = (delivery: Pick<Delivery, 'id' | 'generation'>) => `${delivery.id}-g${delivery.generation}`;

export function jobOptions(capabilities: ChannelCapabilities): JobsOptions {
  return {
    attempts: capabilities.attempts ?? 8,
    backoff: { type: 'exponential', delay: 1_000, jitter: 0.3 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 14 * 24 * 3600 },
  };
}

/**
 * A worker's limiter: the provider's rate, or one too high to matter. BullMQ honours worker.rateLimit() (a 429's
 * wait for the whole queue, see ./failure.ts) only on a worker that has a limiter.
 */
export function workerLimiter(rate?: { max: number; perMs: number }): { max: number; duration: number } {
  return rate ? { max: rate.max, duration: rate.perMs } : { max: 100_000, duration: 1_000 };
}

/**
 * Producer side connection, per BullMQ's advice: fail fast instead of queueing commands while Redis is away,
 * so the API can answer 503 (or leave the row to the sweeper) rather than hang. Not auto-pipelined: that holds
 * every command back to the next turn of the event loop and builds a pipeline around it, which cost a publish
 * about 0.2 ms on its way to the queue and gained a burst nothing (bench/publish, docs/benchmarks.md).
 */
export function producerConnection(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    lazyConnect: false,
  });
}

/** Worker side connection: blocking commands must be retried forever (maxRetriesPerRequest null). */
export function workerConnectionOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  };
}

export class DeliveryQueues {
  private readonly queues = new Map<string, Queue<ChannelJobData>>();
  private flowProducer?: FlowProducer;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly capabilities: ReadonlyMap<string, ChannelCapabilities>,
  ) {}

  queue(channel: string): Queue<ChannelJobData> {
    let queue = this.queues.get(channel);
    if (!queue) {
      queue = new Queue<ChannelJobData>(queueName(channel), {
        connection: this.connection as ConnectionOptions,
        prefix: this.prefix,
      });
      queue.on('error', () => undefined); // surfaced through enqueue()/health instead of as an unhandled event
      this.queues.set(channel, queue);
    }
    return queue;
  }

  channels(): string[] {
    return [...this.capabilities.keys()];
  }

  /** When Redis last answered this connection (a PING or an enqueue), ms since the epoch. */
  private lastAnsweredAt = Number.NEGATIVE_INFINITY;

  /**
   * Throws QueueUnavailableError unless Redis answers a PING now (a socket that just died can still look
   * 'ready' for a moment). A Redis that stalls after this check is caught by the enqueue timeout instead, and
   * the sweeper enqueues the stored rows later.
   * `answeredWithinMs` accepts an answer seen that recently instead of a new PING: a publish then costs no extra
   * round trip while updates keep coming. A Redis that died since without closing the socket is then met by the
   * enqueue, and the stored rows wait for the sweeper: the update is kept and delivered once Redis is back.
   */
  async assertAvailable(options: { timeoutMs?: number; answeredWithinMs?: number } = {}): Promise<void> {
    if (this.connection.status !== 'ready')
      throw new QueueUnavailableError(`queue unavailable: Redis connection is ${this.connection.status}`);
    if (options.answeredWithinMs !== undefined && Date.now() - this.lastAnsweredAt <= options.answeredWithinMs) return;
    try {
      await withTimeout(this.connection.ping(), options.timeoutMs ?? 1_500, 'Redis did not answer PING');
      this.lastAnsweredAt = Date.now();
    } catch (error) {
      throw new QueueUnavailableError(`queue unavailable: ${(error as Error).message}`);
    }
  }

  async enqueue(delivery: Pick<Delivery, 'id' | 'generation' | 'channel'>, delayMs = 0): Promise<void> {
    const { name, data, opts } = this.jobFor(delivery);
    await this.queue(delivery.channel).add(name, data, { ...opts, delay: delayMs });
    this.lastAnsweredAt = Date.now();
  }

  /** Asks each channel's workers to show `change` (no delivery row; the site coalesces what piles up). */
  async enqueueRefresh(channels: readonly string[], change: StateChange, timeoutMs = 3_000): Promise<void> {
    await withTimeout(
      Promise.all(
        channels.map((channel) => this.queue(channel).add('refresh', { refresh: change }, REFRESH_JOB_OPTIONS)),
      ),
      timeoutMs,
      'enqueue timed out',
    );
    this.lastAnsweredAt = Date.now();
  }

  private eventsQueue?: Queue<ComponentEventJobData>;

  /** The queue of component events (see ./component-events.ts). */
  componentEvents(): Queue<ComponentEventJobData> {
    if (!this.eventsQueue) {
      this.eventsQueue = new Queue<ComponentEventJobData>(COMPONENT_EVENTS_QUEUE, {
        connection: this.connection as ConnectionOptions,
        prefix: this.prefix,
      });
      this.eventsQueue.on('error', () => undefined); // surfaced through enqueueComponentEvent()/the sweeper
    }
    return this.eventsQueue;
  }

  /**
   * One job per component event, its id derived from the change: a retried request, a sweep or a second
   * process adding it again adds nothing.
   */
  async enqueueComponentEvent(eventId: string, timeoutMs = 3_000): Promise<void> {
    await withTimeout(
      this.componentEvents().add(
        'component-event',
        { eventId },
        {
          jobId: componentEventJobId(eventId),
          attempts: 12,
          backoff: { type: 'exponential', delay: 2_000, jitter: 0.3 },
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 14 * 24 * 3600 },
        },
      ),
      timeoutMs,
      'enqueue timed out',
    );
    this.lastAnsweredAt = Date.now();
  }

  /** The job for a delivery row: its id derives from the row, so adding it twice is one job. */
  private jobFor(delivery: Pick<Delivery, 'id' | 'generation' | 'channel'>) {
    const capabilities = this.capabilities.get(delivery.channel);
    if (!capabilities) throw new Error(`no channel named ${delivery.channel} is configured`);
    const data: DeliveryJobData = { deliveryId: delivery.id, generation: delivery.generation };
    return {
      name: 'deliver',
      queueName: queueName(delivery.channel),
      data,
      opts: { ...jobOptions(capabilities), jobId: jobIdFor(delivery) },
    };
  }

  /**
   * Enqueues an update's deliveries in one MULTI (one round trip, one transaction across the channels' queues);
   * returns the ones that could not be enqueued, for the sweeper to pick up later. A job already there (same
   * row, same generation) stays as it is: the add is a no-op, as with enqueue().
   */
  async enqueueAll(
    deliveries: ReadonlyArray<Pick<Delivery, 'id' | 'generation' | 'channel'>>,
    timeoutMs = 3_000,
  ): Promise<string[]> {
    if (deliveries.length === 0) return [];
    if (deliveries.length === 1) {
      // One job needs no transaction, and a MULTI is not free: ioredis builds a pipeline object per call.
      return withTimeout(this.enqueue(deliveries[0]!), timeoutMs, 'enqueue timed out').then(
        () => [],
        () => [deliveries[0]!.id],
      );
    }
    try {
      await withTimeout(this.flows().addBulk(deliveries.map((d) => this.jobFor(d))), timeoutMs, 'enqueue timed out');
      this.lastAnsweredAt = Date.now();
      return [];
    } catch {
      return deliveries.map((d) => d.id);
    }
  }

  private flows(): FlowProducer {
    if (!this.flowProducer) {
      this.flowProducer = new FlowProducer({ connection: this.connection as ConnectionOptions, prefix: this.prefix });
      this.flowProducer.on('error', () => undefined); // surfaced through enqueueAll()/health instead
    }
    return this.flowProducer;
  }

  async depth(channel: string) {
    return this.queue(channel).getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'prioritized',
      'waiting-children',
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [
        ...this.queues.values(),
        ...(this.flowProducer ? [this.flowProducer] : []),
        ...(this.eventsQueue ? [this.eventsQueue] : []),
      ].map((q) => q.close()),
    );
    this.queues.clear();
    this.flowProducer = undefined;
    this.eventsQueue = undefined;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import { Queue } from 'bullmq';
import type { AudienceChannel } from '../../channels/channel.js';
import type { Logger } from '../../runtime/logger.js';
import type { PageKey } from '../../store/fanout-repo.js';
import type { Store } from '../../store/store.js';
import { type SiteInfo, loadUpdateContext } from '../context.js';
import { workerConnectionOptions } from '../queues.js';

// The audience path. A channel job (the ordinary delivery job of an audience channel) plans: it walks the
// subscribers by keyset pages (ORDER BY id, WHERE id > cursor), writes one recipient row per match
// (UNIQUE (delivery, subscriber)) and one page row, and enqueues one page job per page with an id derived
// from the page's position, so planning again after a crash or a Redis flush adds nothing twice (./plan.ts).
// A page job claims its recipients (pending → sending), sends, and records each outcome together with the
// counters on the delivery row in one transaction (./page.ts, ./recorder.ts). The last page to finish settles
// the delivery row (./settle.ts). Memory is bounded by the page size, whatever the number of subscribers.

export type FanoutPageJobData = PageKey;

export const pageQueueName = (channel: string) => `fanout-${channel}`;
export const pageJobId = (deliveryId: string, generation: number, seq: number) =>
  `${deliveryId}-g${generation}-p${seq}`;

const DEFAULT_TUNING = { sendConcurrency: 16, pageConcurrency: 2, attempts: 8, backoffMs: 2_000 };
export const tuning = (channel: AudienceChannel) => ({ ...DEFAULT_TUNING, ...channel.fanout });

/** Rendered messages kept per (channel, update): an update's pages render once. */
const RENDERED_KEPT = 32;

export interface FanoutOptions {
  store: Store;
  site: SiteInfo;
  logger: Logger;
  redisUrl: string;
  prefix: string;
  /** A page claim older than this is a dead attempt's: a job lock's duration. */
  lockDurationMs: number;
}

/** What the fan-out keeps while the engine runs: its page queues and the messages it rendered. */
export class FanoutRuntime {
  private readonly queues = new Map<string, Queue<FanoutPageJobData>>();
  private readonly rendered = new Map<string, unknown>();

  constructor(readonly options: FanoutOptions) {}

  pageQueue(channel: string): Queue<FanoutPageJobData> {
    let queue = this.queues.get(channel);
    if (!queue) {
      queue = new Queue<FanoutPageJobData>(pageQueueName(channel), {
        connection: workerConnectionOptions(this.options.redisUrl),
        prefix: this.options.prefix,
      });
      queue.on('error', (err) => this.options.logger.warn({ channel, err: err.message }, 'fan-out queue error'));
      this.queues.set(channel, queue);
    }
    return queue;
  }

  async enqueuePage(channel: AudienceChannel, data: FanoutPageJobData): Promise<void> {
    const { attempts, backoffMs } = tuning(channel);
    await this.pageQueue(channel.name).add('page', data, {
      jobId: pageJobId(data.deliveryId, data.generation, data.seq),
      attempts,
      backoff: { type: 'exponential', delay: backoffMs, jitter: 0.2 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 14 * 24 * 3600 },
    });
  }

  /** The update rendered for the channel once, for all its pages (the last few updates are kept). */
  async renderedFor(channel: AudienceChannel, updateId: string): Promise<unknown> {
    const key = `${channel.name}/${updateId}`;
    if (this.rendered.has(key)) return this.rendered.get(key);
    const rendered = channel.render(await loadUpdateContext(this.options.store.db, this.options.site, updateId));
    if (this.rendered.size >= RENDERED_KEPT) this.rendered.delete(this.rendered.keys().next().value!);
    this.rendered.set(key, rendered);
    return rendered;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    this.rendered.clear();
  }
}

import { FlowProducer, Queue, Worker } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { preciseNow } from '../../tests/fakes/clock.js';
import { sleep } from './stats.js';

const RAW_WARM_UP = 20;

export interface RawResult {
  /** add → complete, ms, one per job (paced run). */
  latencies: number[];
  /** jobs/s with `inFlight` adds outstanding (burst run). */
  throughput: number;
}

/**
 * The baseline every pipeline bench compares against: a bare BullMQ queue and worker with a no-op processor, on
 * the same Redis, in the bench's own process. It stays up between calls, so a bench can warm it up as it warms
 * Herald and interleave its runs with Herald's.
 */
export class RawBullmq {
  private readonly prefix = `bench-raw-${randomBytes(4).toString('hex')}`;
  private readonly producer: Redis;
  private readonly queue: Queue;
  private readonly worker: Worker;
  private readonly completedAt = new Map<string, number>();
  private done = 0;
  private runs = 0;

  constructor(redisUrl: string, concurrency: number) {
    this.producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    this.queue = new Queue('raw', { connection: this.producer, prefix: this.prefix });
    this.worker = new Worker('raw', async () => 'ok', {
      connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
      prefix: this.prefix,
      concurrency,
    });
    this.worker.on('completed', (job) => {
      this.completedAt.set(job.id!, preciseNow());
      this.done++;
    });
  }

  async ready(): Promise<this> {
    await this.worker.waitUntilReady();
    return this;
  }

  /** One job every `paceMs`, each waited for: add → complete, ms. */
  async paced(count: number, paceMs: number): Promise<number[]> {
    const run = ++this.runs;
    this.done = 0;
    const addedAt = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const id = `r${run}p${i}`;
      addedAt.set(id, preciseNow());
      await this.queue.add('job', { i }, { jobId: id, removeOnComplete: true });
      await sleep(paceMs);
    }
    while (this.done < count) await sleep(5);
    return [...addedAt].map(([id, at]) => this.completedAt.get(id)! - at);
  }

  /** `count` jobs added by `inFlight` adders at once: jobs/s until the last completed. */
  async burst(count: number, inFlight: number): Promise<number> {
    const run = ++this.runs;
    this.done = 0;
    const started = preciseNow();
    let next = 0;
    const adders = Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        await this.queue.add('job', { i }, { jobId: `r${run}b${i}`, removeOnComplete: true });
      }
    });
    await Promise.all(adders);
    while (this.done < count) await sleep(2);
    return count / ((preciseNow() - started) / 1000);
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.obliterate({ force: true }).catch(() => undefined);
    await this.queue.close();
    this.producer.disconnect();
  }
}

/** A fresh baseline, warmed up with `RAW_WARM_UP` paced jobs, then a paced run and (if `burst`) a burst. */
export async function measureRawBullmq(
  redisUrl: string,
  options: { paced: number; paceMs: number; burst: number; inFlight: number; concurrency: number },
): Promise<RawResult> {
  const raw = await new RawBullmq(redisUrl, options.concurrency).ready();
  await raw.paced(RAW_WARM_UP, options.paceMs);
  const latencies = await raw.paced(options.paced, options.paceMs);
  const throughput = options.burst > 0 ? await raw.burst(options.burst, options.inFlight) : NaN;
  await raw.close();
  return { latencies, throughput };
}

/**
 * Context for the fan-out benches (not the issues' baseline): what BullMQ alone spends fanning one update out as
 * Herald does, one job to each of `queues` queues in one MULTI (FlowProducer.addBulk), each queue with a worker
 * of its own (no-op processor, concurrency 1), all in this process. Paced; each latency is addBulk → the last of
 * the jobs completed.
 */
export async function measureRawFanout(
  redisUrl: string,
  options: { queues: number; paced: number; paceMs: number },
): Promise<number[]> {
  const prefix = `bench-rawfan-${randomBytes(4).toString('hex')}`;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const flows = new FlowProducer({ connection: producer, prefix });
  const names = Array.from({ length: options.queues }, (_, q) => `fan${q}`);
  const waiting = new Map<number, { left: number; done: (at: number) => void }>();
  const workers = names.map((name) => {
    const worker = new Worker(name, async () => 'ok', {
      connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
      prefix,
      concurrency: 1,
    });
    worker.on('completed', (job) => {
      const step = waiting.get(job.data.i as number);
      if (step && --step.left === 0) step.done(preciseNow());
    });
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  const latencies: number[] = [];
  for (let i = -RAW_WARM_UP; i < options.paced; i++) {
    const allDone = new Promise<number>((done) => waiting.set(i, { left: names.length, done }));
    const started = preciseNow();
    await flows.addBulk(
      names.map((queueName) => ({
        name: 'job',
        queueName,
        data: { i },
        opts: { jobId: `f${i + RAW_WARM_UP}`, removeOnComplete: true },
      })),
    );
    const finished = await allDone;
    if (i >= 0) latencies.push(finished - started);
    await sleep(options.paceMs);
  }

  await Promise.all(workers.map((w) => w.close()));
  for (const name of names) {
    const queue = new Queue(name, { connection: producer, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  await flows.close();
  producer.disconnect();
  return latencies;
}

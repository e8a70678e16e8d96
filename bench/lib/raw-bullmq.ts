import { FlowProducer, Queue, QueueEvents, Worker } from 'bullmq';
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
 * The baseline every pipeline bench compares against: a bare BullMQ queue and worker with a no-op processor,
 * on the same Redis, measured in the same run. Latency from a paced run (no queueing), throughput from a burst.
 */
export async function measureRawBullmq(redisUrl: string, options: { paced: number; paceMs: number; burst: number; inFlight: number; concurrency: number }): Promise<RawResult> {
  const prefix = `bench-raw-${randomBytes(4).toString('hex')}`;
  const connection = { url: redisUrl, maxRetriesPerRequest: null } as const;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue('raw', { connection: producer, prefix });
  const completedAt = new Map<string, number>();
  let done = 0;
  const worker = new Worker('raw', async () => 'ok', { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency: options.concurrency });
  worker.on('completed', (job) => {
    completedAt.set(job.id!, preciseNow());
    done++;
  });
  await worker.waitUntilReady();
  const events = new QueueEvents('raw', { connection, prefix });
  await events.waitUntilReady();

  // Warm-up, not measured: the first jobs of a fresh queue and worker run cold (JIT, connections), and the bench
  // compares against Herald's warm process.
  for (let i = 0; i < RAW_WARM_UP; i++) {
    await queue.add('job', { i }, { jobId: `w${i}`, removeOnComplete: true });
    await sleep(options.paceMs);
  }
  while (done < RAW_WARM_UP) await sleep(5);
  done = 0;
  completedAt.clear();

  const addedAt = new Map<string, number>();
  for (let i = 0; i < options.paced; i++) {
    const id = `p${i}`;
    addedAt.set(id, preciseNow());
    await queue.add('job', { i }, { jobId: id, removeOnComplete: true });
    await sleep(options.paceMs);
  }
  while (done < options.paced) await sleep(5);
  const latencies = [...addedAt].map(([id, at]) => completedAt.get(id)! - at);

  done = 0;
  const started = Date.now();
  let next = 0;
  const adders = Array.from({ length: options.inFlight }, async () => {
    while (next < options.burst) {
      const i = next++;
      await queue.add('job', { i }, { jobId: `b${i}`, removeOnComplete: true });
    }
  });
  await Promise.all(adders);
  while (done < options.burst) await sleep(2);
  const throughput = options.burst / ((Date.now() - started) / 1000);

  await events.close();
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  producer.disconnect();
  return { latencies, throughput };
}

/**
 * Context for the fan-out benches (not the issues' baseline): what BullMQ alone spends fanning one update out as
 * Herald does, one job to each of `queues` queues in one MULTI (FlowProducer.addBulk), each queue with a worker
 * of its own (no-op processor, concurrency 1), all in this process. Paced; each latency is addBulk → the last of
 * the jobs completed.
 */
export async function measureRawFanout(redisUrl: string, options: { queues: number; paced: number; paceMs: number }): Promise<number[]> {
  const prefix = `bench-rawfan-${randomBytes(4).toString('hex')}`;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const flows = new FlowProducer({ connection: producer, prefix });
  const names = Array.from({ length: options.queues }, (_, q) => `fan${q}`);
  const waiting = new Map<number, { left: number; done: (at: number) => void }>();
  const workers = names.map((name) => {
    const worker = new Worker(name, async () => 'ok', { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency: 1 });
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
    await flows.addBulk(names.map((queueName) => ({ name: 'job', queueName, data: { i }, opts: { jobId: `f${i + RAW_WARM_UP}`, removeOnComplete: true } })));
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

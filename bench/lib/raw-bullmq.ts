import { Queue, QueueEvents, Worker } from 'bullmq';
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

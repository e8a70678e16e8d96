// Publish-to-posted latency of the social channels against zero-latency local fakes, beside raw BullMQ
// add → complete on the same Redis. Run: node --import tsx bench/social.ts [updates=100]
import { Queue, QueueEvents, Worker } from 'bullmq';
import { REDIS_URL, dropRedisPrefix, uniqueName } from '../tests/helpers/env.js';
import { startTestHerald } from '../tests/helpers/herald.js';
import { SOCIAL_KINDS, socialSetup } from '../tests/helpers/social-channels.js';
import { waitDelivered } from '../tests/helpers/social-pipeline.js';

const N = Number(process.argv[2] ?? 100);
const PER_INCIDENT = 10;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function rawBullmq(n: number): Promise<number[]> {
  const prefix = uniqueName('hbench');
  const url = new URL(REDIS_URL);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const queue = new Queue('raw', { connection, prefix });
  const worker = new Worker('raw', async () => undefined, { connection, prefix, concurrency: 5 });
  const events = new QueueEvents('raw', { connection, prefix });
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  const done = new Map<string, () => void>();
  worker.on('completed', (job) => done.get(job.id!)?.());
  const out: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const t0 = performance.now();
    const finished = new Promise<void>((r) => done.set(`j${i}`, r));
    await queue.add('noop', { i }, { jobId: `j${i}`, removeOnComplete: true });
    await finished;
    if (i >= 10) out.push(performance.now() - t0); // first 10: warm-up
  }
  await Promise.all([worker.close(), events.close(), queue.close()]);
  await dropRedisPrefix(prefix);
  return out;
}

async function herald(n: number) {
  const setups = await Promise.all(SOCIAL_KINDS.map((k) => socialSetup(k, { rate: { max: 10_000, perMs: 1_000 } })));
  const h = await startTestHerald({ channels: setups.map((s) => s.definition) });
  const perChannel = new Map<string, number[]>(SOCIAL_KINDS.map((k) => [k, []]));
  const all: number[] = [];
  const publishOnly: number[] = [];
  let incidentId = '';
  for (let i = 0; i < n + 3; i++) {
    const counts = setups.map((s) => s.fake.posts.length);
    const t0 = Date.now();
    const p0 = performance.now();
    const res =
      i % PER_INCIDENT === 0
        ? await h.api('POST', '/api/v1/incidents', { title: `Bench incident ${i}`, message: `Update ${i}: investigating.` })
        : await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: `Update ${i}: still on it.`, status: 'identified' });
    const published = performance.now() - p0;
    if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${JSON.stringify(res.body)}`);
    incidentId = res.body.incident.id;
    await Promise.all(SOCIAL_KINDS.map((k) => waitDelivered(h, res.body.update.id, k, 30_000)));
    const worst = performance.now() - p0;
    if (i < 3) continue; // warm-up
    all.push(worst);
    publishOnly.push(published);
    setups.forEach((s, j) => {
      const post = s.fake.posts[counts[j]!];
      if (post) perChannel.get(s.kind)!.push(post.at - t0);
    });
  }
  await h.close();
  await Promise.all(setups.map((s) => s.fake.close()));
  return { perChannel, all, publishOnly };
}

const raw = await rawBullmq(N);
const { perChannel, all, publishOnly } = await herald(N);
const rows: Array<[string, number[]]> = [['raw BullMQ add→complete', raw], ['publish API call alone (POST → 201, DB commit + enqueue)', publishOnly], ...[...perChannel].map(([k, v]) => [`${k}: publish→posted (fake accepted)`, v] as [string, number[]]), ['all 3 channels: publish→delivered recorded', all]];
console.log(`\n${N} updates, sequential, zero-latency fakes, SQLite, Redis ${REDIS_URL}\n`);
console.log('| measurement | p50 ms | p99 ms | n |');
console.log('|---|---:|---:|---:|');
for (const [name, xs] of rows) console.log(`| ${name} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 99).toFixed(1)} | ${xs.length} |`);
const rawP50 = pct(raw, 50);
console.log('');
for (const [k, v] of perChannel) console.log(`${k}: p50 ratio to raw BullMQ = ${(pct(v, 50) / rawP50).toFixed(2)}× (target ≤ 3×)`);
console.log(`publish→delivered (all 3) p50 ratio = ${(pct(all, 50) / rawP50).toFixed(2)}×`);
process.exit(0);

// bench/publish: updates/s and publish-to-delivered latency through publish → queue → a no-op channel,
// beside raw BullMQ add→complete measured in the same run on the same Redis.
//   node --import tsx bench/publish.ts            (SQLite)
//   BENCH_DB=postgres node --import tsx bench/publish.ts
// Knobs: BENCH_PACED (default 300), BENCH_PACE_MS (10), BENCH_BURST (2000), BENCH_IN_FLIGHT (16), BENCH_ROUNDS (5),
// BENCH_WARM_UP (500 paced, then one burst, on each side).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Channel } from '../src/channels/channel.js';
import type { ChannelDefinition } from '../src/config/define.js';
import { readEnv } from '../src/config/env.js';
import { openIncident, postUpdate } from '../src/pipeline/publish.js';
import { startHerald } from '../src/app/herald.js';
import { createLogger } from '../src/runtime/logger.js';
import { preciseNow } from '../tests/fakes/clock.js';
import { RawBullmq } from './lib/raw-bullmq.js';
import { median, percentile, printTable, sleep } from './lib/stats.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PACED = Number(process.env.BENCH_PACED ?? 300);
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 2000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARM_UP_PACED = Number(process.env.BENCH_WARM_UP ?? 500);
const CONCURRENCY = 8;
const DB = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'sqlite';

const noop: ChannelDefinition<Channel<string>> = {
  name: 'noop',
  kind: 'log',
  create: () => ({
    name: 'noop',
    kind: 'log',
    capabilities: { threads: false, audience: false, concurrency: CONCURRENCY },
    render: (ctx) => ctx.update.message,
    preview: (message) => [{ label: 'Message', text: message }],
    measure: () => [],
    send: async () => ({ externalId: 'x' }),
  }),
};

async function databaseUrl(dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (DB === 'sqlite') return { url: join(dir, 'bench.db'), drop: async () => undefined };
  const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = `herald_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Herald with the no-op channel, kept up between runs as the raw baseline is; timed as the raw baseline is. */
async function startBenchHerald() {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const database = await databaseUrl(dir);
  const prefix = `bench-herald-${randomBytes(4).toString('hex')}`;
  const env = readEnv({
    HERALD_DATA_DIR: dir,
    DATABASE_URL: database.url,
    REDIS_URL,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_PUBLIC_URL: 'https://status.bench.test',
  });
  const herald = await startHerald({
    env,
    config: { channels: [noop] },
    logger: createLogger({ level: 'silent' }),
    sweeper: false,
  });
  await herald.workers!.waitUntilReady();
  const { db } = herald.store;
  // From the call to the worker's 'completed' event (the row is recorded by then), as the raw baseline.
  const completedAt = new Map<string, number>();
  herald.workers!.onCompleted((job) => completedAt.set(job.deliveryId, preciseNow()));

  // Counts the rows still moving: a small index range, so polling doesn't load the database it measures.
  const unsettled = async () =>
    Number(
      (
        await db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', 'in', ['pending', 'delivering'])
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const settled = async () => {
    while ((await unsettled()) > 0) await sleep(2);
  };

  const pacedIncident = (await openIncident(herald.publishDeps, { title: 'Bench', message: 'start' })).incident.id;
  // Concurrent updates of one incident are serialised by design (on PostgreSQL they queue on the incident's row
  // lock): each client of a burst updates its own incident.
  const burstIncidents: string[] = [];
  for (let i = 0; i < IN_FLIGHT; i++)
    burstIncidents.push(
      (await openIncident(herald.publishDeps, { title: `Burst ${i}`, message: 'start' })).incident.id,
    );
  await settled();

  return {
    /** One update every `paceMs`: publish → delivered, ms. */
    async paced(count: number, paceMs: number): Promise<number[]> {
      const startedAt = new Map<string, number>();
      for (let i = 0; i < count; i++) {
        const started = preciseNow();
        const { deliveries } = await postUpdate(herald.publishDeps, pacedIncident, { message: `paced ${i}` });
        startedAt.set(deliveries[0]!.id, started);
        await sleep(paceMs);
      }
      await settled();
      return [...startedAt].map(([deliveryId, started]) => completedAt.get(deliveryId)! - started);
    },
    /** `count` updates from IN_FLIGHT clients at once: updates/s until the last is delivered. */
    async burst(count: number): Promise<number> {
      const started = preciseNow();
      let next = 0;
      await Promise.all(
        burstIncidents.map(async (id) => {
          while (next < count) {
            next++;
            await postUpdate(herald.publishDeps, id, { message: `burst ${next}` });
          }
        }),
      );
      await settled();
      return count / ((preciseNow() - started) / 1000);
    },
    async close() {
      await herald.close();
      await database.drop();
    },
  };
}

const raw = await new RawBullmq(REDIS_URL, CONCURRENCY).ready();
const herald = await startBenchHerald();

// Warm-up, not measured, the same for both: a fresh process runs its first thousand jobs slower (JIT), and
// whichever side ran first used to be measured colder than the other.
await raw.paced(WARM_UP_PACED, 1);
await herald.paced(WARM_UP_PACED, 1);
await raw.burst(BURST, IN_FLIGHT);
await herald.burst(BURST);

// Paced: one update every PACE_MS, so latency is the pipeline's own, not queueing behind a burst.
const rawLatencies = await raw.paced(PACED, PACE_MS);
const heraldLatencies = await herald.paced(PACED, PACE_MS);

// Bursts, raw and Herald in turn: the machine's speed drifts within a run, and each round's pair sees the same.
const rounds: Array<{ raw: number; herald: number }> = [];
for (let round = 0; round < ROUNDS; round++)
  rounds.push({ raw: await raw.burst(BURST, IN_FLIGHT), herald: await herald.burst(BURST) });

await herald.close();
await raw.close();

const rawP50 = median(rawLatencies);
const heraldP50 = median(heraldLatencies);
const rawRate = median(rounds.map((r) => r.raw));
const heraldRate = median(rounds.map((r) => r.herald));
console.log(
  `bench/publish — ${DB}, Redis ${REDIS_URL}, paced ${PACED} every ${PACE_MS} ms, ${ROUNDS} rounds of a burst of ${BURST} with ${IN_FLIGHT} in flight, worker concurrency ${CONCURRENCY}\n`,
);
printTable(
  rounds.map((r, i) => ({
    round: i + 1,
    'raw jobs/s': Math.round(r.raw),
    'Herald updates/s': Math.round(r.herald),
    ratio: `${((r.herald / r.raw) * 100).toFixed(0)}%`,
  })),
);
console.log('');
printTable([
  {
    pipeline: 'raw BullMQ add→complete',
    'p50 ms': rawP50,
    'p99 ms': percentile(rawLatencies, 99),
    'per s (median)': Math.round(rawRate),
  },
  {
    pipeline: 'Herald publish→delivered',
    'p50 ms': heraldP50,
    'p99 ms': percentile(heraldLatencies, 99),
    'per s (median)': Math.round(heraldRate),
  },
]);
const latencyRatio = heraldP50 / Math.max(rawP50, 0.5);
const throughputRatio = heraldRate / rawRate;
console.log(`\nlatency p50 ratio ${latencyRatio.toFixed(2)}× (target ≤ 2×) ${latencyRatio <= 2 ? 'OK' : 'MISSED'}`);
console.log(
  `throughput ratio ${(throughputRatio * 100).toFixed(0)}% (target ≥ 50%) ${throughputRatio >= 0.5 ? 'OK' : 'MISSED'}`,
);
process.exit(0);

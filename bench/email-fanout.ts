// Email fan-out benchmark: `node --import tsx bench/email-fanout.ts`
//   BENCH_N (default 50000)          confirmed subscribers for the throughput run (SQLite)
//   BENCH_RSS_N (default 1000000)    subscribers for the worker-memory runs (SQLite and PostgreSQL; 0 skips)
//   BENCH_RSS_SENDS (default 100000) sends watched in the memory runs before stopping
//   BENCH_SKIP_PG=1                  memory run on SQLite only
//   BENCH_WORKER_NODE_ARGS           Node options for Herald's worker, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
// The SMTP sink runs in another process (tests/fakes/smtp-sink.ts) and so does Herald's worker
// (tests/helpers/fanout-worker.ts); the baseline is a bare nodemailer pool (5 connections, like the channel)
// sending the same number of personalised messages to the same kind of sink.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import nodemailer from 'nodemailer';
import { email } from '../src/channels/email/index.js';
import { readEnv } from '../src/config/env.js';
import { createLogger } from '../src/runtime/logger.js';
import { startHerald } from '../src/app/herald.js';
import { seedEmailSubscribers } from './lib/seed-subscribers.js';
import { openPublish } from './email-fanout-publish.js';
import { REDIS_URL, dropRedisPrefix, freshDatabase, tempDir, uniqueName } from '../tests/helpers/env.js';

const N = Number(process.env.BENCH_N ?? 50_000);
const RSS_N = Number(process.env.BENCH_RSS_N ?? 1_000_000);
const RSS_SENDS = Number(process.env.BENCH_RSS_SENDS ?? 100_000);
const ROOT = resolve(import.meta.dirname, '..');

type Stats = { total: number; distinct: number; duplicates: number; firstAt?: number; lastAt?: number };

async function startSink(): Promise<{ smtpPort: number; stats(): Promise<Stats>; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'tests/fakes/smtp-sink.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise<{ smtpPort: number; statsPort: number }>((ok) =>
    child.stdout!.once('data', (d: Buffer) => ok(JSON.parse(d.toString()))),
  );
  return {
    smtpPort: ports.smtpPort,
    stats: async () => (await (await fetch(`http://127.0.0.1:${ports.statsPort}/stats`)).json()) as Stats,
    stop: () => child.kill('SIGTERM'),
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function baseline(n: number): Promise<number> {
  const sink = await startSink();
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: sink.smtpPort,
    ignoreTLS: true,
    maxConnections: 5,
    maxMessages: Infinity,
  });
  const secret = randomBytes(16).toString('hex');
  const start = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const link = `https://status.example.test/unsubscribe?token=${createHmac('sha256', secret).update(`u${i}`).digest('base64url')}`;
      await transport.sendMail({
        from: 'Status <status@example.test>',
        to: `user${i}@example.test`,
        subject: '[Status] Bench incident',
        text: `Investigating\n\nWe are looking into it.\n\nUnsubscribe: ${link}\n`,
        html: `<p><strong>Investigating</strong></p><p>We are looking into it.</p><p><a href="${link}">Unsubscribe</a></p>`,
        headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  await waitFor(async () => (await sink.stats()).total >= n, 600_000);
  const seconds = (Date.now() - start) / 1000;
  transport.close();
  sink.stop();
  return seconds;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function heraldRun(kind: 'sqlite' | 'postgres', n: number, stopAfter: number) {
  const sink = await startSink();
  const dataDir = tempDir('herald-bench-');
  const database = await freshDatabase(kind, dataDir);
  const prefix = uniqueName('hbench');
  const secret = randomBytes(24).toString('base64url');
  const smtpUrl = `smtp://127.0.0.1:${sink.smtpPort}?tls=off`;
  const vars = {
    HERALD_DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    REDIS_URL,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_SECRET: secret,
    HERALD_PUBLIC_URL: 'https://status.example.test',
    HERALD_API_TOKEN: 'bench-token-0123456789',
    SMTP_URL: smtpUrl,
    EMAIL_FROM: 'Status <status@example.test>',
  };
  const herald = await startHerald({
    env: readEnv(vars),
    config: { channels: [email({ smtpUrl, from: vars.EMAIL_FROM })] },
    logger: createLogger({ level: 'warn' }),
    workers: false,
    sweeper: false,
  });
  const seedStart = Date.now();
  await seedEmailSubscribers(herald.store.db, kind, n);
  const seeded = (Date.now() - seedStart) / 1000;
  const worker: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      resolve(ROOT, 'tests/helpers/fanout-worker.ts'),
    ],
    {
      env: { ...process.env, ...vars },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((ok) => worker.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && ok()));
  const start = Date.now();
  const { updateId } = await openPublish(herald);
  await waitFor(async () => (await sink.stats()).total >= 1, 60_000, 20);
  const firstEmail = ((await sink.stats()).firstAt! - start) / 1000;
  await waitFor(async () => (await sink.stats()).total >= stopAfter, 3_600_000, 200);
  const stats = await sink.stats();
  const seconds = (stats.lastAt! - start) / 1000;
  const rss = peakRssMb(worker.pid!);
  const row = await herald.store.db
    .selectFrom('deliveries')
    .selectAll()
    .where('update_id', '=', updateId)
    .executeTakeFirst();
  if (process.env.BENCH_WORKER_NODE_ARGS) {
    // A clean exit, so that --cpu-prof and the like write their files.
    worker.kill('SIGTERM');
    await new Promise((exited) => worker.once('exit', exited));
  } else worker.kill('SIGKILL');
  await herald.close();
  sink.stop();
  await dropRedisPrefix(prefix);
  await database.drop();
  return { seconds, firstEmail, rss, stats, seeded, row };
}

const results: Record<string, unknown> = { N };
console.log(`baseline: bare nodemailer pool, ${N} personalised messages …`);
const base = await baseline(N);
console.log(`  ${base.toFixed(1)} s (${Math.round(N / base)} msg/s)`);
console.log(`herald: ${N} confirmed subscribers on SQLite, publish → last message accepted …`);
const run = await heraldRun('sqlite', N, N);
console.log(
  `  ${run.seconds.toFixed(1)} s (${Math.round(N / run.seconds)} msg/s), first email after ${run.firstEmail.toFixed(2)} s, worker peak RSS ${run.rss.toFixed(0)} MB, duplicates ${run.stats.duplicates}, delivery row ${run.row?.state} ${run.row?.delivered}/${run.row?.total}`,
);
console.log(`  ratio herald/baseline = ${(run.seconds / base).toFixed(2)} (target ≤ 1.25)`);
Object.assign(results, {
  baselineSeconds: base,
  heraldSeconds: run.seconds,
  ratio: run.seconds / base,
  firstEmailSeconds: run.firstEmail,
  rssMbAtN: run.rss,
});
if (RSS_N > 0) {
  for (const kind of process.env.BENCH_SKIP_PG === '1' ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const)) {
    console.log(`memory: ${RSS_N} subscribers on ${kind}, watching the first ${RSS_SENDS} sends …`);
    const big = await heraldRun(kind, RSS_N, Math.min(RSS_SENDS, RSS_N));
    console.log(
      `  seeded in ${big.seeded.toFixed(1)} s; first email after ${big.firstEmail.toFixed(2)} s; ${big.stats.total} sends in ${big.seconds.toFixed(1)} s; worker peak RSS ${big.rss.toFixed(0)} MB (target ≤ 300)`,
    );
    results[`rss_${kind}`] = {
      subscribers: RSS_N,
      sendsWatched: big.stats.total,
      peakRssMb: big.rss,
      firstEmailSeconds: big.firstEmail,
    };
  }
}
console.log(JSON.stringify(results));
process.exit(0);

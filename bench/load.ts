// bench/load: 100 concurrent API clients while a big email fan-out runs.
//   node --import tsx bench/load.ts
// Herald runs as it does in production, from bin/herald.mjs and the shipped channels.config.ts: `herald serve
// --no-workers` (HTTP only) and one `herald worker` (email + status page), each its own process, with the SMTP
// sink (tests/fakes/smtp-sink.ts) in a third. This process only drives the load (autocannon, closed loop):
//   admin   BENCH_ADMIN_CONNECTIONS (50) clients POST /api/v1/incidents/:id/updates over 20 open incidents, to the
//           channels in BENCH_UPDATE_CHANNELS (default `webhooks`: a real outbox row, job and fan-out, but to no
//           subscriber, so the updates add no emails and the public JSON stays the same size between phases;
//           `statuspage` makes every update a status page rebuild, see docs/benchmarks.md)
//   public  BENCH_PUBLIC_CONNECTIONS (50) clients GET /api/v2/summary.json and /api/v2/incidents.json, with
//           Accept-Encoding BENCH_PUBLIC_ACCEPT_ENCODING (`gzip, deflate, br`, what browsers send; `identity`
//           for the bytes as stored)
// Phases: (1) baseline: the same load with no fan-out running, BENCH_BASELINE_DURATION s (10); (2) the fan-out
// alone for BENCH_SOLO_DURATION s (8), for its undisturbed rate; (3) the load while the fan-out runs,
// BENCH_DURATION s (20) — targets: admin p99 < 200 ms, public JSON p99 < 50 ms.
// Paced instead of closed loop: BENCH_ADMIN_RATE / BENCH_PUBLIC_RATE requests per second in total (autocannon's
// overallRate; 0 or unset = as fast as each client's previous answer allows).
// BENCH_TOPOLOGY=one runs the quick start's layout instead: one `herald serve` with its workers inside (what the
// README recommends on SQLite), no `herald worker`.
// BENCH_LOAD_TOOL=wrk drives the load with wrk (apt-get install -y wrk; closed loop only) instead of autocannon in
// this process: wrk needs a fraction of the CPU, which on a small machine is taken from Herald.
// Other knobs: BENCH_RECIPIENTS (50000), BENCH_DB=sqlite|postgres (sqlite), BENCH_LOG_LEVEL (warn),
// BENCH_FINISH=1 waits for the fan-out to finish and reports its total time.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../src/store/store.js';
import { REDIS_URL, dropRedisPrefix, freePort, freshDatabase, tempDir, uniqueName } from '../tests/helpers/env.js';
import { ROOT, processCpuMs, spawnHerald, stopHeralds, until } from './lib/herald-process.js';
import { type LoadResult, runAutocannon, runWrk } from './lib/load-driver.js';
import { seedEmailSubscribers } from './lib/seed-subscribers.js';
import { printTable, sleep } from './lib/stats.js';
const N = Number(process.env.BENCH_RECIPIENTS ?? 50_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 20);
const BASELINE_DURATION = Number(process.env.BENCH_BASELINE_DURATION ?? 10);
const SOLO_DURATION = Number(process.env.BENCH_SOLO_DURATION ?? 8);
const ADMIN_CONNECTIONS = Number(process.env.BENCH_ADMIN_CONNECTIONS ?? 50);
const PUBLIC_CONNECTIONS = Number(process.env.BENCH_PUBLIC_CONNECTIONS ?? 50);
const DB = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'sqlite';
const ADMIN_RATE = Number(process.env.BENCH_ADMIN_RATE ?? 0);
const PUBLIC_RATE = Number(process.env.BENCH_PUBLIC_RATE ?? 0);
const TOKEN = 'bench-token-0123456789';
const TOPOLOGY = process.env.BENCH_TOPOLOGY === 'one' ? 'one' : 'split';
const LOAD_TOOL = process.env.BENCH_LOAD_TOOL === 'wrk' ? 'wrk' : 'autocannon';
const INCIDENTS = 20;
const PUBLIC_ACCEPT_ENCODING = process.env.BENCH_PUBLIC_ACCEPT_ENCODING ?? 'gzip, deflate, br';
const UPDATE_CHANNELS = (process.env.BENCH_UPDATE_CHANNELS ?? 'webhooks')
  .split(',')
  .map((c) => c.trim())
  .filter(Boolean);

const sinkProcesses: ChildProcess[] = [];
process.on('exit', () => sinkProcesses.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

async function startSink(): Promise<{ smtpPort: number; total(): Promise<number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'tests/fakes/smtp-sink.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  sinkProcesses.push(child);
  const ports = await new Promise<{ smtpPort: number; statsPort: number }>((ok) =>
    child.stdout!.once('data', (d: Buffer) => ok(JSON.parse(d.toString()))),
  );
  return {
    smtpPort: ports.smtpPort,
    total: async () =>
      ((await (await fetch(`http://127.0.0.1:${ports.statsPort}/stats`)).json()) as { total: number }).total,
  };
}

// ---- set-up --------------------------------------------------------------------------------------------------
const dataDir = tempDir('herald-bench-load-');
const database = await freshDatabase(DB, dataDir);
const prefix = uniqueName('hbload');
const sink = await startSink();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env: Record<string, string> = {
  PORT: String(port),
  HOST: '127.0.0.1',
  HERALD_DATA_DIR: dataDir,
  DATABASE_URL: database.url,
  REDIS_URL,
  HERALD_QUEUE_PREFIX: prefix,
  HERALD_SECRET: randomBytes(24).toString('base64url'),
  HERALD_PUBLIC_URL: 'https://status.example.test',
  HERALD_API_TOKEN: TOKEN,
  STATUS_PAGE_DIR: join(dataDir, 'site'),
  SMTP_URL: `smtp://127.0.0.1:${sink.smtpPort}?tls=off`,
  EMAIL_FROM: 'Status <status@example.test>',
  HERALD_LOG_CHANNEL: '0',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
};

console.log(
  `bench/load — ${LOAD_TOOL}, ${DB}, ${TOPOLOGY === 'one' ? 'one herald serve with its workers' : 'herald serve --no-workers + herald worker'}, ${N} email recipients, ${ADMIN_CONNECTIONS} admin + ${PUBLIC_CONNECTIONS} public clients (${ADMIN_RATE || PUBLIC_RATE ? `paced: admin ${ADMIN_RATE || 'closed loop'} req/s, public ${PUBLIC_RATE || 'closed loop'} req/s` : 'closed loop'}), Redis ${REDIS_URL}`,
);
const serve = spawnHerald(TOPOLOGY === 'one' ? ['serve'] : ['serve', '--no-workers'], env, dataDir);
await until(async () => (await fetch(`${base}/healthz`)).ok, 60_000, 'herald serve');

const store = await openStore(database.url, { migrate: false });
const seedStart = Date.now();
await seedEmailSubscribers(store.db, DB, N);
await store.close();
console.log(`seeded ${N} confirmed email subscribers in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<any>;
};

const components: string[] = [];
for (const name of ['API', 'Dashboard', 'Webhooks', 'Email', 'Search'])
  components.push((await api('POST', '/api/v1/components', { name })).id);
const incidents: string[] = [];
for (let i = 0; i < INCIDENTS; i++) {
  const opened = await api('POST', '/api/v1/incidents', {
    title: `Load incident ${i + 1}`,
    message: 'Investigating elevated error rates.',
    impact: 'minor',
    components: { [components[i % components.length]!]: 'degraded_performance' },
    channels: ['statuspage'],
  });
  incidents.push(opened.incident.id);
}

const worker = TOPOLOGY === 'split' ? spawnHerald(['worker'], env, dataDir) : null;
// The workers build the status site for the incidents above: the public JSON exists once it has.
await until(
  async () =>
    (await fetch(`${base}/api/v2/incidents.json`)).ok &&
    ((await (await fetch(`${base}/api/v2/incidents.json`)).json()) as { incidents: unknown[] }).incidents.length >=
      INCIDENTS,
  60_000,
  'the first status site build',
);

/** CPU time (ms) each process has used so far: where the machine's cores go during the load. */
function cpuNow(): Record<string, number> {
  const self = process.cpuUsage();
  return {
    [LOAD_TOOL === 'autocannon' ? 'load driver (autocannon, this process)' : 'this process']:
      (self.user + self.system) / 1000,
    'herald serve': processCpuMs(serve.pid!),
    ...(worker ? { 'herald worker': processCpuMs(worker.pid!) } : {}),
    'SMTP sink': processCpuMs(sinkProcesses[0]!.pid!),
  };
}

// ---- load ----------------------------------------------------------------------------------------------------
const STATUSES = ['identified', 'monitoring', 'investigating'];
function load(seconds: number): Promise<[LoadResult, LoadResult]> {
  const admin = { base, connections: ADMIN_CONNECTIONS, seconds, rate: ADMIN_RATE };
  const pub = { base, connections: PUBLIC_CONNECTIONS, seconds, rate: PUBLIC_RATE };
  if (LOAD_TOOL === 'wrk') {
    return Promise.all([
      runWrk(
        admin,
        'admin',
        {
          BENCH_TOKEN: TOKEN,
          BENCH_INCIDENTS: incidents.join(','),
          BENCH_UPDATE_CHANNELS_JSON: JSON.stringify(UPDATE_CHANNELS),
        },
        dataDir,
      ),
      runWrk(pub, 'public', { BENCH_PUBLIC_ACCEPT_ENCODING: PUBLIC_ACCEPT_ENCODING }, dataDir),
    ]);
  }
  let n = 0;
  return Promise.all([
    runAutocannon(admin, {
      requests: [
        {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          setupRequest: (request) => {
            const i = n++;
            return {
              ...request,
              path: `/api/v1/incidents/${incidents[i % incidents.length]}/updates`,
              body: JSON.stringify({
                message: `Update ${i}: still working on it.`,
                status: STATUSES[i % STATUSES.length],
                channels: UPDATE_CHANNELS,
              }),
            };
          },
        },
      ],
    }),
    runAutocannon(pub, {
      headers: { 'accept-encoding': PUBLIC_ACCEPT_ENCODING },
      requests: [
        { method: 'GET', path: '/api/v2/summary.json' },
        { method: 'GET', path: '/api/v2/incidents.json' },
      ],
    }),
  ]);
}

const row = (phase: string, name: string, r: LoadResult, target: number) => ({
  phase,
  endpoint: name,
  requests: r.requests,
  'req/s': Math.round(r.rps),
  p50_ms: r.p50,
  p99_ms: r.p99,
  max_ms: r.max,
  non2xx: r.non2xx,
  errors: r.errors,
  target: `p99 < ${target}`,
});

console.log(
  `\nphase 1 — baseline: the load for ${BASELINE_DURATION} s with no fan-out running (updates to ${UPDATE_CHANNELS.join(',')}) …`,
);
const [idleAdmin, idlePublic] = await load(BASELINE_DURATION);
// The worker is still delivering phase 1's updates: let it finish, so "the fan-out alone" is alone.
const backlogStart = Date.now();
const watcher = await openStore(database.url, { migrate: false });
const unsettled = async () =>
  Number(
    (
      await watcher.db
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', 'in', ['pending', 'delivering'])
        .executeTakeFirst()
    )?.n ?? 0,
  );
const backlog = await unsettled();
await until(async () => (await unsettled()) === 0, 5 * 60_000, "the worker to finish phase 1's deliveries", 250);
await watcher.close();
console.log(
  `  phase 1 left ${backlog} deliveries to the worker; settled ${((Date.now() - backlogStart) / 1000).toFixed(1)} s after the load stopped`,
);

console.log(`phase 2 — publishing to ${N} email subscribers; the fan-out alone for ${SOLO_DURATION} s …`);
const published = Date.now();
const fanout = await api('POST', '/api/v1/incidents', {
  title: 'Email outage drill',
  message: 'We are looking into **elevated errors**.',
  impact: 'major',
  channels: ['email'],
});
const fanoutUpdate = fanout.update.id as string;
await until(async () => (await sink.total()) > 0, 60_000, 'the first email', 20);
const firstEmail = (Date.now() - published) / 1000;
const soloStart = { at: Date.now(), sent: await sink.total() };
await sleep(SOLO_DURATION * 1000);
const soloEnd = { at: Date.now(), sent: await sink.total() };
const soloRate = (soloEnd.sent - soloStart.sent) / ((soloEnd.at - soloStart.at) / 1000);
console.log(
  `  first email after ${firstEmail.toFixed(2)} s; ${soloEnd.sent} sent so far; ${Math.round(soloRate)} emails/s with no API load`,
);

console.log(`phase 3 — the load for ${DURATION} s while the fan-out runs …`);
const progress: Array<{ second: number; sent: number }> = [];
const cpuAtStart = cpuNow();
const loadStart = { at: Date.now(), sent: await sink.total() };
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    await sleep(2_000);
    if (!sampling) break;
    const sent = await sink.total();
    progress.push({ second: Math.round((Date.now() - loadStart.at) / 1000), sent });
    console.log(
      `  t+${String(Math.round((Date.now() - loadStart.at) / 1000)).padStart(2)} s  fan-out ${sent}/${N} sent (${((100 * sent) / N).toFixed(0)}%)`,
    );
  }
})();
const [busyAdmin, busyPublic] = await load(DURATION);
sampling = false;
await sampler;
const loadEnd = { at: Date.now(), sent: await sink.total() };
const cpuAtEnd = cpuNow();
const cpuShare = Object.fromEntries(
  Object.entries(cpuAtEnd).map(([name, ms]) => [
    name,
    Math.round((100 * (ms - cpuAtStart[name]!)) / (loadEnd.at - loadStart.at)),
  ]),
);
if (LOAD_TOOL === 'wrk')
  cpuShare['load driver (wrk ×2)'] = Math.round(
    (100 * ((busyAdmin.driverCpuMs ?? 0) + (busyPublic.driverCpuMs ?? 0))) / (DURATION * 1000),
  );
const busyRate = (loadEnd.sent - loadStart.sent) / ((loadEnd.at - loadStart.at) / 1000);

// How far the status page fell behind: updates whose status page delivery had not happened when the load ended.
const reader = await openStore(database.url, { migrate: false });
const pageRows = await reader.db
  .selectFrom('deliveries')
  .select(['state'])
  .where('channel', '=', 'statuspage')
  .execute();
await reader.close();
const pageBehind = pageRows.filter((r) => r.state !== 'delivered').length;

// The public JSON's size at the end: the updates of the load reach the page, so it grows during the run.
async function sizeOf(path: string, acceptEncoding: string): Promise<number> {
  const res = await fetch(`${base}${path}`, { headers: { 'accept-encoding': acceptEncoding } });
  await res.arrayBuffer();
  return Number(res.headers.get('content-length'));
}
const publicBytes = {
  stored: await sizeOf('/api/v2/incidents.json', 'identity'),
  sent: await sizeOf('/api/v2/incidents.json', PUBLIC_ACCEPT_ENCODING),
};

const finish = process.env.BENCH_FINISH === '1';

console.log('');
printTable([
  row('baseline', 'admin POST updates', idleAdmin, 200),
  row('baseline', 'public JSON', idlePublic, 50),
  row('fan-out', 'admin POST updates', busyAdmin, 200),
  row('fan-out', 'public JSON', busyPublic, 50),
]);
const verdict = (p99: number, target: number) => (p99 < target ? 'MET' : 'NOT MET');
console.log(
  `\nduring the fan-out: admin p99 ${busyAdmin.p99} ms (target < 200 ms) ${verdict(busyAdmin.p99, 200)}; public JSON p99 ${busyPublic.p99} ms (target < 50 ms) ${verdict(busyPublic.p99, 50)}`,
);
console.log(
  `ratio to the baseline (same load, no fan-out): admin p99 ${(busyAdmin.p99 / Math.max(idleAdmin.p99, 1)).toFixed(2)}×, public p99 ${(busyPublic.p99 / Math.max(idlePublic.p99, 1)).toFixed(2)}×`,
);
if (UPDATE_CHANNELS.includes('statuspage'))
  console.log(
    `status page: ${pageBehind} of ${pageRows.length} updates not yet published on the page when the load ended (one rebuild per update, concurrency 1)`,
  );
console.log(
  `CPU during the fan-out phase, % of one core (this machine has ${availableParallelism()}): ${Object.entries(cpuShare)
    .map(([name, pct]) => `${name} ${pct}`)
    .join(', ')}`,
);
console.log(
  `public incidents.json at the end: ${(publicBytes.stored / 1e6).toFixed(2)} MB stored, ${(publicBytes.sent / 1e3).toFixed(0)} kB sent for Accept-Encoding "${PUBLIC_ACCEPT_ENCODING}"`,
);
console.log(
  `fan-out: ${loadStart.sent} → ${loadEnd.sent} of ${N} sent during the load; ${Math.round(busyRate)} emails/s under load vs ${Math.round(soloRate)} emails/s alone (${((100 * busyRate) / Math.max(soloRate, 1)).toFixed(0)}%)`,
);

const results: Record<string, unknown> = {
  db: DB,
  topology: TOPOLOGY,
  loadTool: LOAD_TOOL,
  recipients: N,
  adminConnections: ADMIN_CONNECTIONS,
  adminRate: ADMIN_RATE || 'closed loop',
  publicRate: PUBLIC_RATE || 'closed loop',
  publicConnections: PUBLIC_CONNECTIONS,
  updateChannels: UPDATE_CHANNELS,
  publicAcceptEncoding: PUBLIC_ACCEPT_ENCODING,
  incidentsJsonBytes: publicBytes,
  cpuPercentDuringFanout: cpuShare,
  baseline: {
    admin: { p50: idleAdmin.p50, p99: idleAdmin.p99, rps: idleAdmin.rps },
    public: { p50: idlePublic.p50, p99: idlePublic.p99, rps: idlePublic.rps },
  },
  statusPageBehind: { notPublished: pageBehind, of: pageRows.length },
  fanout: {
    admin: { p50: busyAdmin.p50, p99: busyAdmin.p99, rps: busyAdmin.rps, non2xx: busyAdmin.non2xx },
    public: { p50: busyPublic.p50, p99: busyPublic.p99, rps: busyPublic.rps, non2xx: busyPublic.non2xx },
  },
  fanoutProgress: {
    firstEmailSeconds: firstEmail,
    soloRate,
    busyRate,
    sentAtLoadStart: loadStart.sent,
    sentAtLoadEnd: loadEnd.sent,
    samples: progress,
  },
};

if (finish) {
  await until(async () => (await sink.total()) >= N, 30 * 60_000, 'the whole fan-out', 500);
  const total = (Date.now() - published) / 1000;
  const state = await api('GET', `/api/v1/updates/${fanoutUpdate}/deliveries`);
  console.log(
    `fan-out finished: ${N} emails in ${total.toFixed(1)} s; delivery row ${JSON.stringify(state.channels[0])}`,
  );
  results.fanoutSeconds = total;
}
console.log(JSON.stringify(results));

/** Distinct error messages a process logged (level ≥ 50), with counts. */
function loggedErrors(name: string): string[] {
  const counts = new Map<string, number>();
  for (const line of readFileSync(join(dataDir, `${name}.log`), 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as {
      level?: number;
      msg?: string;
      err?: { message?: string; code?: string } | string;
    };
    if ((entry.level ?? 0) < 50) continue;
    const err = typeof entry.err === 'string' ? entry.err : (entry.err?.message ?? entry.err?.code ?? '');
    const key = `${entry.msg ?? ''}: ${err}`.slice(0, 200);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`);
}
for (const name of TOPOLOGY === 'split' ? ['serve', 'worker'] : ['serve']) {
  const errors = loggedErrors(name);
  console.log(`herald ${name} logged ${errors.length === 0 ? 'no errors' : `errors:\n  ${errors.join('\n  ')}`}`);
}

// ---- tear-down: the children we started, by pid --------------------------------------------------------------
await stopHeralds(worker ? [serve, worker] : [serve]);
sinkProcesses.forEach((c) => c.kill('SIGKILL'));
await dropRedisPrefix(prefix);
await database.drop();
process.exit(0);

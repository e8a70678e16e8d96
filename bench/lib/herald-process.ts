// Herald as it runs in production, for the benches: `bin/herald.mjs <command>` in a process of its own, so the
// bench's own work (load generator, protocol fakes standing in for the providers) does not share its event loop.
import { type ChildProcess, spawn } from 'node:child_process';
import { type Dispatcher, request } from 'undici';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REDIS_URL, dropRedisPrefix, freePort, tempDir, uniqueName } from '../../tests/helpers/env.js';
import type { BenchChannel } from './providers.config.js';
import { sleep } from './stats.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/herald.mjs');

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * Starts `herald <args>` with `env` on top of this process's; its log (stdout) goes to `<logDir>/<command>.log`.
 * BENCH_HERALD_NODE_ARGS adds Node options, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile Herald.
 */
export function spawnHerald(args: string[], env: Record<string, string>, logDir: string): ChildProcess {
  const log = openSync(join(logDir, `${args[0]}.log`), 'a');
  const nodeArgs = (process.env.BENCH_HERALD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, 'inherit'],
  });
  children.push(child);
  return child;
}

/** Polls `check` until it is true (errors count as false), or throws naming `what` after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

/** The admin API of a Herald listening at `base`, over real HTTP. */
/**
 * The bench's API client: undici's request() on a keep-alive connection, not fetch(), whose own overhead
 * (about a millisecond per call on this machine) would be counted as Herald's publish latency.
 */
export function heraldApi(base: string, token: string) {
  return async <T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const response = await request(`${base}${path}`, {
      method: method as Dispatcher.HttpMethod,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

/** User + system CPU of a live process, ms, from /proc (Linux; clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Stops the processes: SIGTERM (Herald's clean shutdown), SIGKILL after `graceMs`. */
export async function stopHeralds(processes: ChildProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    processes
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map(
        (child) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            child.kill('SIGTERM');
          }),
      ),
  );
}

/**
 * `herald serve` (API and workers, SQLite in a fresh folder) with `channels` pointed at local provider fakes
 * through bench/lib/providers.config.ts: the per-update latency benches' Herald. `stop()` shuts it down and
 * removes its queues from Redis.
 */
export async function startProviderBenchServe(
  name: string,
  channels: BenchChannel[],
  extraEnv: Record<string, string> = {},
) {
  const token = 'bench-token-0123456789';
  const dataDir = tempDir(`herald-bench-${name}-`);
  const prefix = uniqueName(`hb${name}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    HERALD_DATA_DIR: dataDir,
    DATABASE_URL: join(dataDir, 'herald.db'),
    REDIS_URL,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_SECRET: randomBytes(24).toString('base64url'),
    HERALD_PUBLIC_URL: 'https://status.example.test',
    HERALD_API_TOKEN: token,
    HERALD_CONFIG: join(ROOT, 'bench/lib/providers.config.ts'),
    BENCH_CHANNELS: JSON.stringify(channels),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  // BENCH_WORKERS=N: `herald serve --no-workers` and N `herald worker` processes instead of one `herald serve`.
  const workers = Number(process.env.BENCH_WORKERS ?? 0);
  const processes = [spawnHerald(workers > 0 ? ['serve', '--no-workers'] : ['serve'], env, dataDir)];
  await until(async () => (await fetch(`${base}/healthz`)).ok, 60_000, 'herald serve');
  for (let i = 0; i < workers; i++) processes.push(spawnHerald(['worker'], env, dataDir));
  if (workers > 0) await sleep(3_000); // the workers' queues are up well before this
  return {
    base,
    api: heraldApi(base, token),
    /** CPU time (user + system) Herald's processes have used so far, ms: a steadier figure than latency here. */
    cpuMs: () => processes.reduce((sum, child) => sum + processCpuMs(child.pid!), 0),
    async stop() {
      await stopHeralds(processes);
      await dropRedisPrefix(prefix);
    },
  };
}

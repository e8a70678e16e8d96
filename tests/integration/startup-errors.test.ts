// `herald serve` as an operator starts it (bin/herald.mjs, the command a process manager runs): a setting that
// cannot work gives one line on stderr naming the problem and the fix, no stack trace, exit 1; a good start prints
// the bind address with the URL, and SIGTERM stops it cleanly.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, REDIS_URL, dropRedisPrefix, freePort, tempDir, uniqueName } from '../helpers/env.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/herald.mjs');
const prefix = uniqueName('hstart');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/herald.mjs serve` with the shipped config and a fresh data directory, plus `env`. */
function serve(env: Record<string, string>, options: { timeoutMs?: number } = {}) {
  const dataDir = tempDir('herald-start-');
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HERALD_DATA_DIR: dataDir,
      HERALD_CONFIG: join(ROOT, 'channels.config.ts'),
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_API_TOKEN: 'startup-token-0123456789',
      REDIS_URL,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  const exited = new Promise<Run>((done) =>
    child.once('exit', (code) => {
      run.code = code;
      done(run);
    }),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 150_000);
  void exited.then(() => clearTimeout(timer));
  return { child, run, exited, dataDir };
}

// Each start compiles Herald with tsx: three at a time keep a 2-core machine from timing them all out.
const STARTS_AT_ONCE = 3;
let running = 0;
const waiting: Array<() => void> = [];
async function oneOfFew<T>(task: () => Promise<T>): Promise<T> {
  if (running >= STARTS_AT_ONCE) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The one line a failed start prints, after checking that it is exactly one and carries no stack. */
async function failedStart(env: Record<string, string>): Promise<string> {
  const { code, stderr } = await oneOfFew(() => serve(env).exited);
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(code).toBe(1);
  return lines[0]!;
}

let holder: Server;
let heldPort: number;
beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '0.0.0.0', r));
  heldPort = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => holder.close(r));
  await dropRedisPrefix(prefix);
});

describe.concurrent('a start that cannot work: one line, the problem and the fix, exit 1', { timeout: 400_000 }, () => {
  it('the port is taken (EADDRINUSE)', async () => {
    expect(await failedStart({ PORT: String(heldPort) })).toBe(
      `herald: port ${heldPort} on 0.0.0.0 is already in use; stop the process that holds it, or set PORT (or --port) to a free port`,
    );
  });

  it('HOST is not an address of this machine', async () => {
    expect(await failedStart({ PORT: String(await freePort()), HOST: '203.0.113.7' })).toBe(
      'herald: HOST 203.0.113.7 is not an address of this machine; set HOST to one of its addresses, or 0.0.0.0 for all of them',
    );
  });

  it('REDIS_URL is set and nothing answers there: names its host and port, never "set REDIS_URL"', async () => {
    const port = await freePort();
    const line = await failedStart({ PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(line).toBe(
      `herald: Redis at 127.0.0.1:${port} (REDIS_URL) did not answer within 10s; check it is running and that REDIS_URL points at it`,
    );
    expect(line).not.toMatch(/set REDIS_URL/);
  });

  it('REDIS_URL is not a Redis URL', async () => {
    expect(await failedStart({ REDIS_URL: 'http://cache.example.test:6379' })).toMatch(
      /^herald: REDIS_URL 'http:\/\/cache\.example\.test:6379' is not a Redis URL; write it as redis:\/\/HOST:PORT/,
    );
  });

  it('DATABASE_URL names a PostgreSQL where nothing answers', async () => {
    const port = await freePort();
    expect(await failedStart({ DATABASE_URL: `postgres://herald:s3cret@127.0.0.1:${port}/herald` })).toBe(
      `herald: PostgreSQL at 127.0.0.1:${port} (DATABASE_URL) refused the connection; check that PostgreSQL is running and that DATABASE_URL names its host and port`,
    );
  });

  it('DATABASE_URL names a database that does not exist', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/herald_no_such_database';
    expect(await failedStart({ DATABASE_URL: url.toString() })).toBe(
      `herald: PostgreSQL at ${url.hostname}:${url.port} (DATABASE_URL) has no database 'herald_no_such_database'; create it (createdb herald_no_such_database) or fix the name in DATABASE_URL`,
    );
  });

  it('DATABASE_URL is a URL of another database, or a PostgreSQL URL that does not parse (password masked)', async () => {
    expect(await failedStart({ DATABASE_URL: 'mysql://root:hunter22@localhost/herald' })).toBe(
      "herald: DATABASE_URL 'mysql://root:***@localhost/herald' is a mysql:// URL; Herald takes postgres://USER:PASSWORD@HOST:PORT/DATABASE or a SQLite file path such as ./data/herald.db",
    );
    expect(await failedStart({ DATABASE_URL: 'postgres://herald:hunter22@db.example.test:99999/herald' })).toBe(
      "herald: DATABASE_URL 'postgres://herald:***@db.example.test:99999/herald' is not a valid URL; write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE",
    );
  });

  it('DATABASE_URL is a SQLite path that cannot be written', async () => {
    const dir = tempDir('herald-start-file-');
    writeFileSync(join(dir, 'not-a-directory'), '');
    const path = join(dir, 'not-a-directory', 'herald.db');
    expect(await failedStart({ DATABASE_URL: path })).toBe(
      `herald: cannot open the SQLite database ${path} (DATABASE_URL): ${join(dir, 'not-a-directory')} is a file, not a directory; set DATABASE_URL to a file in a directory this user can write`,
    );
  });

  it('the data directory cannot hold the generated HERALD_SECRET', async () => {
    const dir = tempDir('herald-start-data-');
    writeFileSync(join(dir, 'file'), '');
    const dataDir = join(dir, 'file', 'data');
    expect(await failedStart({ HERALD_DATA_DIR: dataDir })).toMatch(
      new RegExp(
        `^herald: cannot keep HERALD_SECRET's file ${dataDir}/secret \\(ENOTDIR: not a directory\\); make ${dataDir} writable by this user, set HERALD_DATA_DIR to a directory it can write, or set HERALD_SECRET$`,
      ),
    );
  });
});

describe('a good start and a stop', { timeout: 200_000 }, () => {
  it('prints the bind address (HOST) with the URL, and SIGTERM to the process stops it cleanly (exit 0)', async () => {
    const port = await freePort();
    const herald = serve({ PORT: String(port), HOST: '127.0.0.1', HERALD_LOG_CHANNEL: '0' });
    const started = Date.now();
    while (!herald.run.stdout.includes('herald serve is up')) {
      if (herald.run.code !== null || Date.now() - started > 150_000) throw new Error(herald.run.stderr);
      await new Promise((r) => setTimeout(r, 100));
    }
    const up = herald.run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'herald serve is up')!;
    expect(up).toMatchObject({ http: `http://127.0.0.1:${port}`, host: '127.0.0.1' });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    herald.child.kill('SIGTERM');
    const { code, stdout, stderr } = await herald.exited;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/"msg":"stopping: no new jobs/);
    expect(stdout).toMatch(/"signal":"SIGTERM","msg":"stopped"/);
  });
});

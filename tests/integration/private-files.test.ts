// Secrets on disk are the owner's alone, whatever the umask: the SQLite database (webhook secrets, password hashes)
// with its -wal and -shm, data/secret, the log channel's file (0600), and the Redis directory Herald starts (0700).
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/runtime/logger.js';
import { ensureRedis } from '../../src/cli/local-redis.js';
import { kill } from '../helpers/child.js';
import { REDIS_URL, dropRedisPrefix, eventually, freePort, tempDir, uniqueName } from '../helpers/env.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TOKEN = 'private-files-token-0123456789';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** `herald serve` from bin/herald.mjs with the shipped channels.config.ts, started under `umask 000`. */
async function serveUnderOpenUmask(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn('sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, 'bin/herald.mjs', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => kill(child));
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`herald serve exited with ${child.exitCode}:\n${output}`);
    return output.includes('herald serve is up');
  }, 30_000);
  return child;
}

describe('files holding secrets are private', () => {
  it('after a real start under umask 000: database, -wal, -shm, secret and the log channel file are 0600', async () => {
    const dataDir = tempDir('herald-private-');
    const prefix = uniqueName('hpriv');
    cleanups.push(() => dropRedisPrefix(prefix));
    const port = await freePort();
    const herald = await serveUnderOpenUmask({
      PORT: String(port),
      HERALD_DATA_DIR: dataDir,
      HERALD_CONFIG: join(ROOT, 'channels.config.ts'),
      REDIS_URL,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_API_TOKEN: TOKEN,
      HERALD_PUBLIC_URL: 'https://status.example.test',
    });
    // The log channel writes its file on the first delivery.
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Private', message: 'Files stay private', channels: ['log'] }),
    });
    expect(response.status).toBe(201);
    const logFile = join(dataDir, 'log-channel.jsonl');
    await eventually(() => existsSync(logFile) && statSync(logFile).size > 0);

    const files = ['herald.db', 'herald.db-wal', 'herald.db-shm', 'secret', 'log-channel.jsonl'];
    expect(Object.fromEntries(files.map((f) => [f, modeOf(join(dataDir, f))]))).toEqual(
      Object.fromEntries(files.map((f) => [f, '600'])),
    );

    const exited = new Promise<number | null>((r) => herald.once('exit', (code) => r(code)));
    herald.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('a database from an earlier run that others could read is made private on the next start', async () => {
    const dataDir = tempDir('herald-private-old-');
    for (const file of ['herald.db', 'herald.db-wal', 'herald.db-shm']) {
      writeFileSync(join(dataDir, file), '');
      chmodSync(join(dataDir, file), 0o644);
    }
    const prefix = uniqueName('hpriv');
    cleanups.push(() => dropRedisPrefix(prefix));
    const herald = await serveUnderOpenUmask({
      PORT: String(await freePort()),
      HERALD_DATA_DIR: dataDir,
      HERALD_CONFIG: join(ROOT, 'channels.config.ts'),
      HERALD_LOG_CHANNEL: '0',
      REDIS_URL,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_API_TOKEN: TOKEN,
    });
    expect(['herald.db', 'herald.db-wal', 'herald.db-shm'].map((f) => modeOf(join(dataDir, f)))).toEqual([
      '600',
      '600',
      '600',
    ]);
    await kill(herald, 'SIGTERM');
  });

  it('the Redis directory Herald starts redis-server in is 0700 under umask 000, an existing one tightened', async () => {
    for (const existing of [false, true]) {
      const dataDir = tempDir('herald-private-redis-');
      if (existing) mkdirSync(join(dataDir, 'redis'), { mode: 0o755 });
      const previous = process.umask(0);
      let handle: Awaited<ReturnType<typeof ensureRedis>>;
      try {
        handle = await ensureRedis(
          readEnv({ HERALD_DATA_DIR: dataDir }),
          createLogger({ level: 'silent' }),
          await freePort(),
        );
      } finally {
        process.umask(previous);
      }
      cleanups.push(() => handle.stop());
      expect(handle.embedded).toBe(true);
      expect(modeOf(join(dataDir, 'redis')), existing ? 'existing directory' : 'new directory').toBe('700');
      await handle.stop();
    }
  });
});

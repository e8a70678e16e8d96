import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

// Tests need a Redis and a PostgreSQL. Redis: the one at TEST_REDIS_URL / 127.0.0.1:6379, or else a
// redis-server from PATH started for this run. PostgreSQL must be running (`bash .ci/run` installs and starts it).

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

let started: ChildProcess | undefined;

export async function setup() {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await answers(redisUrl))) {
    const port = 6390 + Math.floor(Math.random() * 100);
    started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        mkdtempSync(join(tmpdir(), 'herald-test-redis-')),
      ],
      { stdio: 'ignore' },
    );
    started.on('error', () => undefined);
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await answers(url)))
      throw new Error(
        `no Redis at ${redisUrl} and no redis-server on PATH to start one: install Redis or run bash .ci/run`,
      );
    process.env.TEST_REDIS_URL = url;
  }
  const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${postgresUrl} (${(error as Error).message}): start it, set TEST_POSTGRES_URL, or run bash .ci/run`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function teardown() {
  started?.kill('SIGTERM');
}

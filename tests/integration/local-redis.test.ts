import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/runtime/logger.js';
import { ensureRedis } from '../../src/cli/local-redis.js';
import { freePort, tempDir } from '../helpers/env.js';

describe('first run: a local Redis when none answers', () => {
  it('starts redis-server with AOF under ./data/redis, serves the queue, and stops it on exit', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = readEnv({ HERALD_DATA_DIR: dataDir });
    const handle = await ensureRedis(env, createLogger({ level: 'silent' }), port);
    expect(handle).toMatchObject({ embedded: true, url: `redis://127.0.0.1:${port}` });
    const client = new Redis(handle.url);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    await client.set('k', 'v');
    client.disconnect();
    expect(existsSync(join(dataDir, 'redis'))).toBe(true);
    await handle.stop();
    const probe = new Redis(handle.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });

  it('uses a Redis that already answers, and REDIS_URL when given, without starting one', async () => {
    const logger = createLogger({ level: 'silent' });
    const running = await ensureRedis(readEnv({ HERALD_DATA_DIR: tempDir() }), logger, 6379);
    expect(running.embedded).toBe(false);
    const given = await ensureRedis(
      readEnv({ HERALD_DATA_DIR: tempDir(), REDIS_URL: 'redis://127.0.0.1:1' }),
      logger,
      await freePort(),
    );
    expect(given).toMatchObject({ embedded: false, url: 'redis://127.0.0.1:1' });
  });
});

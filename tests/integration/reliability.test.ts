import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { kill, startScript } from '../helpers/child.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { PrivateRedis } from '../helpers/redis-server.js';
import { HttpSink } from '../helpers/sink.js';
import { sinkChannel } from '../helpers/sink-channel.js';
import { snapshotDatabase } from '../helpers/snapshot.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function deliveryState(h: TestHerald, updateId: string) {
  return (await h.api('GET', `/api/v1/updates/${updateId}/deliveries`)).body.channels[0];
}

describe('a worker killed with SIGKILL mid-job', () => {
  it.each(['sqlite', 'postgres'] as const)('the job is recovered and delivered exactly once (%s)', async (database) => {
    const sink = await new HttpSink().start();
    cleanups.push(() => sink.close());
    // API side only; the workers run in child processes that the test kills.
    const h = await startTestHerald({ database, channels: [sinkChannel(sink.url)], workers: false });
    cleanups.push(() => h.close());
    const env = {
      DATABASE_URL: h.databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      HERALD_QUEUE_PREFIX: h.prefix,
      HERALD_LOCK_DURATION_MS: '1500',
      SINK_URL: sink.url,
      HERALD_DATA_DIR: h.dataDir,
    };

    const held = sink.holdNext();
    const first: ChildProcess = await startScript('tests/helpers/worker-process.ts', env);
    cleanups.push(() => kill(first));
    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'Kill test', message: 'mid-job' });
    await held.arrival; // the worker is inside send()
    await kill(first, 'SIGKILL');
    expect((await deliveryState(h, body.update.id)).state).toBe('delivering');

    const second = await startScript('tests/helpers/worker-process.ts', env);
    cleanups.push(() => kill(second));
    const settled = await eventually(async () => {
      const d = await deliveryState(h, body.update.id);
      return d.state === 'delivered' ? d : undefined;
    }, 20_000);
    expect(settled).toMatchObject({ state: 'delivered', attempts: 2, externalId: 'msg-1' });
    expect(sink.accepted).toHaveLength(1);
  });
});

describe('Redis going away around a publish', () => {
  it('Redis down before the publish: 503 with nothing stored; after it returns, publishes deliver', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const sink = await new HttpSink().start();
    cleanups.push(() => sink.close());
    const h = await startTestHerald({ channels: [sinkChannel(sink.url)], env: { REDIS_URL: redis.url } });
    cleanups.push(async () => {
      await redis.start().catch(() => undefined);
      await h.close();
    });
    const component = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;

    await redis.stop();
    const before = await snapshotDatabase(h.herald.store.db);
    const started = Date.now();
    const refused = await h.api('POST', '/api/v1/incidents', {
      title: 'During outage',
      message: 'm',
      components: { [component]: 'major_outage' },
    });
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/queue unavailable.*nothing was stored/);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await snapshotDatabase(h.herald.store.db)).toEqual(before);
    const health = await h.api('GET', '/healthz');
    expect(health.status).toBe(503);

    await redis.start();
    await eventually(async () => (await h.api('GET', '/healthz')).status === 200, 15_000);
    const accepted = await h.api('POST', '/api/v1/incidents', { title: 'After', message: 'm' });
    expect(accepted.status).toBe(201);
    await eventually(async () => (await deliveryState(h, accepted.body.update.id)).state === 'delivered', 15_000);
    expect(sink.accepted).toHaveLength(1);
  });

  it('Redis stalls after the commit: the update is stored and delivered once when Redis answers again', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const sink = await new HttpSink().start();
    cleanups.push(() => sink.close());
    const h = await startTestHerald({
      channels: [sinkChannel(sink.url)],
      env: { REDIS_URL: redis.url },
      sweeper: { intervalMs: 300, staleAfterMs: 500 },
    });
    cleanups.push(() => h.close());
    // Writes block for 4 s: PING still answers (so the publish goes ahead), the enqueue times out after 3 s.
    await redis.command('CLIENT', 'PAUSE', 4000, 'WRITE');
    const published = await h.api('POST', '/api/v1/incidents', { title: 'Stalled', message: 'm' });
    expect(published.status).toBe(201);
    await eventually(async () => (await deliveryState(h, published.body.update.id)).state === 'delivered', 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sink.accepted).toHaveLength(1);
  });

  it('Redis flushed after the publish: the sweeper re-enqueues and it is delivered once', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const sink = await new HttpSink().start();
    cleanups.push(() => sink.close());
    const api = await startTestHerald({
      channels: [sinkChannel(sink.url)],
      env: { REDIS_URL: redis.url },
      workers: false,
    });
    cleanups.push(() => api.close());
    const published = await api.api('POST', '/api/v1/incidents', { title: 'Flushed', message: 'm' });
    expect(published.status).toBe(201);
    await redis.command('FLUSHALL');

    const env = {
      DATABASE_URL: api.databaseUrl,
      REDIS_URL: redis.url,
      HERALD_QUEUE_PREFIX: api.prefix,
      SINK_URL: sink.url,
      HERALD_DATA_DIR: api.dataDir,
    };
    const worker = await startScript('tests/helpers/worker-process.ts', env);
    cleanups.push(() => kill(worker));
    await eventually(async () => (await deliveryState(api, published.body.update.id)).state === 'delivered', 20_000);
    expect(sink.accepted).toHaveLength(1);
  });

  it('Redis restarted (AOF on) with queued jobs: delivered once after the restart', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const sink = await new HttpSink().start();
    cleanups.push(() => sink.close());
    const api = await startTestHerald({
      channels: [sinkChannel(sink.url)],
      env: { REDIS_URL: redis.url },
      workers: false,
    });
    cleanups.push(async () => {
      await redis.start().catch(() => undefined);
      await api.close();
    });
    const published = await api.api('POST', '/api/v1/incidents', { title: 'Restart', message: 'm' });
    await redis.stop();
    await redis.start();
    const env = {
      DATABASE_URL: api.databaseUrl,
      REDIS_URL: redis.url,
      HERALD_QUEUE_PREFIX: api.prefix,
      SINK_URL: sink.url,
      HERALD_DATA_DIR: api.dataDir,
    };
    const worker = await startScript('tests/helpers/worker-process.ts', env);
    cleanups.push(() => kill(worker));
    await eventually(async () => (await deliveryState(api, published.body.update.id)).state === 'delivered', 20_000);
    await new Promise((r) => setTimeout(r, 1_500)); // the sweeper runs too: it must not add a second send
    expect(sink.accepted).toHaveLength(1);
  });
});

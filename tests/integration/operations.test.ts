import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logger.js';
import { kill, startScript } from '../helpers/child.js';
import { eventually } from '../helpers/env.js';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { HttpSink } from '../helpers/sink.js';
import { sinkChannel } from '../helpers/sink-channel.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('health and metrics', () => {
  it('/healthz reports database and queue; /metrics counts deliveries, latency and queue depth per channel', async () => {
    const recorder = recordingChannel('recorder');
    const h: TestHerald = await startTestHerald({ channels: [recorder.definition] });
    cleanups.push(() => h.close());
    const health = await h.api('GET', '/healthz', undefined, { authorization: '' });
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: 'ok', queue: 'ok' } });

    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'T', message: 'M' });
    await eventually(
      async () =>
        (await h.api('GET', `/api/v1/updates/${body.update.id}/deliveries`)).body.channels[0].state === 'delivered',
    );
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/herald_deliveries_total\{channel="recorder",outcome="delivered"\} 1/);
    expect(metrics.body).toMatch(/herald_publish_to_delivered_seconds_count\{channel="recorder"\} 1/);
    expect(metrics.body).toMatch(/herald_queue_jobs\{channel="recorder",state="waiting"\} 0/);
    expect(metrics.body).toMatch(/herald_updates_published_total 1/);
    expect(metrics.body).toMatch(/herald_confirmation_jobs\{state="waiting"\} 0/);
  });
});

describe('secrets never reach the logs', () => {
  it('masks configured secret values wherever they appear', () => {
    const lines: string[] = [];
    const out = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ secrets: ['s3cr3t-token-value', 'p@ss word'], destination: out });
    logger.info(
      { url: 'smtp://user:p%40ss%20word@mail.test', nested: { header: 'Bearer s3cr3t-token-value' } },
      'sending with s3cr3t-token-value',
    );
    logger.warn({ err: new Error('401 for token s3cr3t-token-value') }, 'failed');
    logger.info({ headers: { authorization: 'Bearer anything' }, password: 'x' }, 'request');
    const text = lines.join('\n');
    expect(text).not.toContain('s3cr3t-token-value');
    expect(text).not.toContain('p%40ss%20word');
    expect(text).not.toContain('Bearer anything');
    expect(text).toContain('***');
    expect(lines).toHaveLength(3);
  });
});

describe('request logs', () => {
  it('name the method, path and status, and leave out query strings (links carry tokens)', async () => {
    const lines: string[] = [];
    const out = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = Fastify({ loggerInstance: createLogger({ destination: out }) });
    app.get('/unsubscribe', async () => 'ok');
    await app.inject({ method: 'GET', url: '/unsubscribe?token=c2VjcmV0LXRva2Vu.sig' });
    await app.close();
    const entries = lines.map((l) => JSON.parse(l) as { msg: string; req?: unknown; res?: unknown });
    expect(entries.find((e) => e.msg === 'incoming request')?.req).toEqual({
      method: 'GET',
      url: '/unsubscribe',
      remoteAddress: '127.0.0.1',
    });
    expect(entries.find((e) => e.msg === 'request completed')?.res).toEqual({ statusCode: 200 });
    expect(lines.join('\n')).not.toContain('c2VjcmV0LXRva2Vu');
  });
});

describe('SIGTERM', () => {
  it('stops taking jobs, lets the active send finish and exits cleanly', async () => {
    const sink = await new HttpSink().start();
    cleanups.push(() => sink.close());
    const h = await startTestHerald({ channels: [sinkChannel(sink.url)], workers: false });
    cleanups.push(() => h.close());
    const env = {
      DATABASE_URL: h.databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      HERALD_QUEUE_PREFIX: h.prefix,
      HERALD_DATA_DIR: h.dataDir,
      HERALD_API_TOKEN: TEST_TOKEN,
      HERALD_CONFIG: 'tests/helpers/sink.config.ts',
      SINK_URL: sink.url,
    };
    const held = sink.holdNext();
    // The real `herald worker`: config loaded from a .ts file, the product's own SIGTERM handling.
    const worker = await startScript('bin/herald.mjs', env, 30_000, ['worker'], 'herald worker is up');
    cleanups.push(() => kill(worker));
    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'Graceful', message: 'm' });
    await held.arrival;
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    held.release(); // the send in flight completes while the worker shuts down
    expect(await exited).toBe(0);
    const delivery = (await h.api('GET', `/api/v1/updates/${body.update.id}/deliveries`)).body.channels[0];
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(sink.accepted).toHaveLength(1);
  });
});

describe('client addresses behind a proxy', () => {
  it('ignores X-Forwarded-For unless HERALD_TRUST_PROXY says which proxies to believe', async () => {
    const seen: string[] = [];
    const plain = await startTestHerald({});
    cleanups.push(() => plain.close());
    plain.app.get('/whoami', async (request) => {
      seen.push(request.ip);
      return {};
    });
    await plain.app.inject({
      method: 'GET',
      url: '/whoami',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      remoteAddress: '127.0.0.1',
    });
    const proxied = await startTestHerald({ env: { HERALD_TRUST_PROXY: '1' } });
    cleanups.push(() => proxied.close());
    proxied.app.get('/whoami', async (request) => {
      seen.push(request.ip);
      return {};
    });
    await proxied.app.inject({
      method: 'GET',
      url: '/whoami',
      headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' },
      remoteAddress: '127.0.0.1',
    });
    expect(seen).toEqual(['127.0.0.1', '203.0.113.9']);
  });
});

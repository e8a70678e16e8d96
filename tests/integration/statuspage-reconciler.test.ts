import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { statuspage } from '../../src/channels/statuspage/index.js';
import type { PublishingOptions } from '../../src/statuspage/options.js';
import { eventually, tempDir } from '../helpers/env.js';
import { deliveredEverywhere, startTestHerald, type TestHerald } from '../helpers/herald.js';
import { startOutageProxy } from '../fakes/outage-proxy.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';

// Every target converges by itself: the reconciler (a job of the delivery engine) against a real S3-compatible
// server (s3rver) behind a proxy that takes it away, and a directory mirror.
//
// Time is compressed tenfold, honestly: every interval of the reconciler is a tenth of its default (a round every
// 1.5 s instead of 15 s, backoff capped at 3 s instead of 30 s), so an outage of 5 minutes becomes 30 s and "caught up
// within a minute of coming back" becomes within 6 s.
const COMPRESSED: PublishingOptions = {
  reconcileIntervalMs: 1_500,
  retryBaseMs: 200,
  retryMaxMs: 3_000,
  probeTimeoutMs: 1_000,
  targetTimeoutMs: 6_000,
  staleGraceMs: 1_000,
  heartbeatMs: 60_000,
};
const OUTAGE_MS = 30_000;
const CATCH_UP_MS = 6_000;
const credentials = S3RVER_CREDENTIALS;

async function startS3(root: string) {
  const s3 = await startS3rver(root);
  const { endpoint } = s3;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
  return {
    endpoint,
    async text(key: string): Promise<string> {
      const object = await client.send(new GetObjectCommand({ Bucket: 'status', Key: key }));
      return object.Body!.transformToString();
    },
    async close() {
      client.destroy();
      await s3.close();
    },
  };
}

describe('the status page reconciler', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  });

  async function rig(options: { bucketFirst?: boolean } = {}) {
    const root = tempDir('herald-reconcile-');
    const s3 = await startS3(root);
    cleanups.push(() => s3.close());
    const proxy = await startOutageProxy(s3.endpoint);
    cleanups.push(() => proxy.close());
    const bucket = {
      type: 's3' as const,
      name: 'bucket',
      bucket: 'status',
      endpoint: proxy.url,
      forcePathStyle: true,
      credentials,
    };
    const mirrorPath = join(root, 'mirror');
    const mirror = { type: 'directory' as const, name: 'mirror', path: mirrorPath };
    const dataDir = join(root, 'data');
    const start = async () => {
      const h = await startTestHerald({
        workers: true,
        dataDir,
        channels: [
          statuspage({
            dir: join(root, 'box', 'site'),
            targets: options.bucketFirst === false ? [mirror, bucket] : [bucket, mirror],
            publishing: COMPRESSED,
          }),
        ],
      });
      cleanups.push(() => h.close());
      return h;
    };
    const mirrorText = (path: string) => readFileSync(join(mirrorPath, path), 'utf8');
    return { root, s3, proxy, start, mirrorText };
  }

  const deliveries = async (h: TestHerald, updateId: string) =>
    (await h.api('GET', `/api/v1/updates/${updateId}/deliveries`)).body.channels[0] as {
      state: string;
      targets: Array<{ name: string; state: string; behindSince?: string; error?: string; lagSeconds: number }>;
    };
  const lagOf = async (h: TestHerald, target: string) => {
    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(
      new RegExp(`^herald_statuspage_target_lag_seconds\\{target="${target}"\\} (\\S+)$`, 'm').exec(metrics)?.[1],
    );
  };

  it('a target unreachable for 5 minutes (30 s compressed) catches up within a minute (6 s) of returning, with no retry by hand', async () => {
    const { s3, proxy, start, mirrorText } = await rig();
    const h = await start();
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Checkout errors', message: 'Investigating.' });
    await deliveredEverywhere(h, opened.body.update.id);
    expect(await s3.text('index.html')).toContain('Investigating.');

    proxy.set('refuse');
    const down = Date.now();
    const update = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'A fix is being deployed.',
      status: 'identified',
    });
    // The update is delivered: the mirror has it, the bucket is behind (not a failure).
    await deliveredEverywhere(h, update.body.update.id);
    expect(mirrorText('index.html')).toContain('A fix is being deployed.');
    const during = await deliveries(h, update.body.update.id);
    expect(during.state).toBe('delivered');
    expect(during.targets.find((t) => t.name === 'bucket')).toMatchObject({ state: 'behind' });
    expect(during.targets.find((t) => t.name === 'mirror')).toMatchObject({ state: 'current', lagSeconds: 0 });

    // Later updates during the outage reach the mirror at once, whatever the bucket's backoff.
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    const later = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'The fix is rolling out.',
      status: 'monitoring',
    });
    await deliveredEverywhere(h, later.body.update.id);
    expect(mirrorText('index.html')).toContain('The fix is rolling out.');
    await new Promise((r) => setTimeout(r, down + OUTAGE_MS - Date.now()));
    // Behind since its first failed publish, a moment after the outage began.
    expect(await lagOf(h, 'bucket')).toBeGreaterThanOrEqual(OUTAGE_MS / 1000 - 5);
    expect(await lagOf(h, 'mirror')).toBe(0);
    const stillBehind = await deliveries(h, update.body.update.id);
    expect(stillBehind.state).toBe('delivered');
    expect(stillBehind.targets.find((t) => t.name === 'bucket')!.error).toBeTruthy();

    proxy.set('up');
    const back = Date.now();
    await eventually(
      async () => (await s3.text('index.html')).includes('The fix is rolling out.'),
      CATCH_UP_MS + 5_000,
      100,
    );
    const caughtUpMs = Date.now() - back;
    console.log(`bucket caught up ${caughtUpMs} ms after it came back (outage ${Math.round((back - down) / 1000)} s)`);
    expect(caughtUpMs).toBeLessThan(CATCH_UP_MS);
    const summary = JSON.parse(await s3.text('api/v2/summary.json'));
    expect(summary.incidents[0].status).toBe('monitoring');
    await eventually(async () => (await lagOf(h, 'bucket')) === 0, 5_000);
    expect((await deliveries(h, update.body.update.id)).targets.map((t) => t.state)).toEqual(['current', 'current']);
  }, 120_000);

  it('a first target that hangs does not delay the second, and catches up once it answers', async () => {
    const { s3, proxy, start, mirrorText } = await rig({ bucketFirst: true });
    const h = await start();
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Search is slow', message: 'Looking.' });
    await deliveredEverywhere(h, opened.body.update.id);
    // Time from the call until the mirror shows an update; past the pause that paces rebuilds following one another
    // closely (at most 2 s), so it does not count.
    const toMirror = async (message: string) => {
      await new Promise((r) => setTimeout(r, 2_500));
      const asked = Date.now();
      await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, { message });
      await eventually(() => mirrorText('index.html').includes(message), 10_000, 20);
      return Date.now() - asked;
    };
    const baselineMs = await toMirror('Reindexing.');
    proxy.set('hang');
    const hungMs = await toMirror('Index rebuilt.');
    console.log(
      `second target had the update ${hungMs} ms after the call while the first hung (${baselineMs} ms with both up)`,
    );
    // The hanging bucket gets targetTimeoutMs (6 s) before it counts as failed; the mirror does not wait for it.
    expect(hungMs).toBeLessThan(baselineMs + 1_000);
    expect(await s3.text('index.html')).not.toContain('Index rebuilt.');

    const last = (await h.api('GET', `/api/v1/incidents/${opened.body.incident.id}`)).body.updates[0].id;
    const row = await eventually(async () => {
      const r = await deliveries(h, last);
      return r.state === 'delivered' && r.targets[0]?.state === 'behind' ? r : undefined;
    }, 15_000);
    expect(row.targets[0]!.error).toMatch(/longer than 6000 ms|no answer within/);
    proxy.set('up');
    await eventually(async () => (await s3.text('index.html')).includes('Index rebuilt.'), CATCH_UP_MS + 5_000, 100);
  }, 60_000);

  it('a component change whose refresh failed is redone, also after a restart', async () => {
    const { root, s3, start, mirrorText } = await rig();
    let h = await start();
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    await eventually(() => mirrorText('api/v2/components.json').includes('"API"'), 10_000);

    // The site directory's parent is taken away: every rebuild fails until it is back.
    renameSync(join(root, 'box'), join(root, 'box-away'));
    writeFileSync(join(root, 'box'), 'in the way');
    const patched = await h.api('PATCH', `/api/v1/components/${api.id}`, { status: 'degraded_performance' });
    expect(patched.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(mirrorText('api/v2/components.json')).toContain('"operational"');

    // Back, in this process: the reconciler sees the database ahead of the site and rebuilds.
    rmSync(join(root, 'box'));
    renameSync(join(root, 'box-away'), join(root, 'box'));
    await eventually(() => mirrorText('api/v2/components.json').includes('"degraded_performance"'), 6_000, 100);
    // s3rver stores an upload cut off by the breakage as a broken object (real S3 drops it); the reconciler rewrites it.
    await eventually(
      async () => (await s3.text('api/v2/components.json')).includes('"degraded_performance"'),
      15_000,
      100,
    );

    // Again, with Herald stopped before the site is back: the next Herald's reconciler redoes it.
    renameSync(join(root, 'box'), join(root, 'box-away'));
    writeFileSync(join(root, 'box'), 'in the way');
    expect((await h.api('PATCH', `/api/v1/components/${api.id}`, { status: 'partial_outage' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    await h.close();
    rmSync(join(root, 'box'));
    renameSync(join(root, 'box-away'), join(root, 'box'));
    expect(mirrorText('api/v2/components.json')).toContain('"degraded_performance"');
    h = await start();
    // Within 6 s, or 16 s when the rebuild the breakage interrupted left its site lock behind (taken over when stale).
    await eventually(() => mirrorText('api/v2/components.json').includes('"partial_outage"'), 16_000, 100);
    // The bucket follows the mirror; a loaded machine (the whole suite at once) can take longer than a quiet one.
    await eventually(async () => (await s3.text('api/v2/components.json')).includes('"partial_outage"'), 15_000, 100);
  }, 60_000);
});

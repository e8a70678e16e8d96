import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTarget } from '../../src/statuspage/targets/index.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { acmeSite, seedComponents, seedHistory, seedIncident, seedUpdate } from '../unit/statuspage-seed.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';

const NOW = new Date('2026-05-20T12:00:00Z');
const credentials = S3RVER_CREDENTIALS;

describe('publishing the status site to S3-compatible storage (s3rver)', () => {
  let server: { close(): Promise<void> };
  let endpoint: string;
  let store: Store;
  let client: S3Client;

  beforeAll(async () => {
    const root = tempDir('herald-sp-s3-');
    const s3 = await startS3rver(root);
    server = s3;
    endpoint = s3.endpoint;
    client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    store = await openStore(join(root, 'herald.db'));
  });
  afterAll(async () => {
    await store?.close();
    await server?.close();
  });

  const get = async (key: string) => {
    const object = await client.send(new GetObjectCommand({ Bucket: 'status', Key: key }));
    return { body: await object.Body!.transformToString(), type: object.ContentType, cache: object.CacheControl };
  };

  it('uploads the whole site once, then only the files an update changed', async () => {
    const components = await seedComponents(store, 10);
    await seedHistory(store, components, 40, NOW, 120);
    const id = await seedIncident(store, {
      title: 'Queue backlog',
      startedAt: '2026-05-20T11:00:00.000Z',
      components: [{ ...components[0]!, status: 'partial_outage' }],
    });
    const site = acmeSite(store, join(tempDir('herald-sp-s3site-'), 'site'), {
      now: () => NOW,
      targets: [{ type: 's3', bucket: 'status', prefix: 'public/', endpoint, forcePathStyle: true, credentials }],
    });

    const first = await site.rebuild({ full: true });
    const uploaded = first.targets[0]!.uploaded;
    expect(uploaded).toContain('index.html');
    expect(uploaded).toContain(`incidents/${id}.html`);
    expect(uploaded.length).toBe(first.rendered);

    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'status', Prefix: 'public/', MaxKeys: 1000 }));
    expect(listed.KeyCount).toBe(uploaded.length + 2); // + the manifest and the build's stamp
    const index = await get('public/index.html');
    expect(index.body).toContain('Queue backlog');
    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.cache).toContain('stale-if-error');
    const summary = await get('public/api/v2/summary.json');
    expect(summary.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(summary.body).incidents[0].name).toBe('Queue backlog');
    const calendar = await get('public/maintenances.ics');
    expect(calendar.type).toBe('text/calendar; charset=utf-8');
    expect(calendar.body.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect((await get('public/embed.html')).type).toBe('text/html; charset=utf-8');
    const css = uploaded.find((p) => p.endsWith('.css'))!;
    expect((await get(`public/${css}`)).cache).toContain('immutable');

    // Nothing changed: nothing uploaded.
    const again = await site.rebuild({ incidentIds: [id] });
    expect(again.targets[0]!.uploaded).toEqual([]);

    await seedUpdate(store, id, 'Backlog is draining.', '2026-05-20T11:30:00.000Z');
    const second = await site.rebuild({ incidentIds: [id] });
    const changed = second.targets[0]!.uploaded;
    expect(changed).toContain(`incidents/${id}.html`);
    expect(changed).toContain('index.html');
    expect(changed).toContain('api/v2/summary.json');
    expect(changed).toContain('history.rss');
    expect(changed.filter((p) => p.startsWith('incidents/'))).toEqual([`incidents/${id}.html`]);
    expect(changed.some((p) => p.endsWith('.css'))).toBe(false);
    expect(changed.length).toBeLessThan(25);
    expect((await get(`public/incidents/${id}.html`)).body).toContain('Backlog is draining.');

    // Another machine finishes a build of older data only now: the bucket keeps the later one.
    const target = createTarget(
      { type: 's3', bucket: 'status', prefix: 'public/', endpoint, forcePathStyle: true, credentials },
      0,
    );
    const stamp = JSON.parse((await get('public/.herald-build.json')).body).stamp as string;
    expect(stamp).toBe('2026-05-20T11:30:00.000Z');
    const older = {
      dir: tempDir('herald-sp-s3-older-'),
      manifest: { 'index.html': 'an older hash' },
      stamp: '2026-05-20T11:00:00.000Z',
    };
    const kept = await target.publish(older);
    expect(kept.skipped).toMatch(/later data \(2026-05-20T11:30:00.000Z, this one 2026-05-20T11:00:00.000Z\)/);
    expect(kept.uploaded).toEqual([]);
    expect((await get(`public/incidents/${id}.html`)).body).toContain('Backlog is draining.');
    expect(JSON.parse((await get('public/.herald-build.json')).body).stamp).toBe(stamp);
  });
});

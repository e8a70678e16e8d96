import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidationPaths } from '../../src/statuspage/purge.js';
import { listTargetStates } from '../../src/store/statuspage-targets-repo.js';
import { openStore, type Store } from '../../src/store/store.js';
import { eventually, tempDir } from '../helpers/env.js';
import { acmeSite, seedComponents, seedIncident, seedUpdate } from '../unit/statuspage-seed.js';
import { type CloudFrontFake, startCloudFrontFake } from '../fakes/cloudfront-fake.js';

// CDN purges after a publish: CloudFront's CreateInvalidation through @aws-sdk/client-cloudfront against a fake of
// its API, and a generic purge webhook, SSRF-checked like subscriber webhooks.
describe('CDN purge after publish', () => {
  let store: Store;
  let root: string;
  let cloudfront: CloudFrontFake;
  let incidentId: string;
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

  beforeAll(async () => {
    root = tempDir('herald-sp-purge-');
    store = await openStore(join(root, 'herald.db'));
    const components = await seedComponents(store, 3);
    incidentId = await seedIncident(store, {
      title: 'Slow search',
      startedAt: '2026-05-20T11:00:00.000Z',
      components: [{ ...components[0]!, status: 'degraded_performance' }],
    });
    cloudfront = await startCloudFrontFake(['E2EXAMPLE']);
  });
  afterAll(async () => {
    await store?.close();
    await cloudfront?.close();
  });

  it('invalidates what a publish changed in CloudFront, and rides out a 503', async () => {
    const site = acmeSite(store, join(root, 'site'), {
      now: () => new Date('2026-05-20T12:00:00.000Z'),
      targets: [
        {
          type: 'directory',
          name: 'www',
          path: join(root, 'www'),
          purge: [
            {
              type: 'cloudfront',
              distributionId: 'E2EXAMPLE',
              pathPrefix: 'status',
              endpoint: cloudfront.url,
              credentials,
            },
          ],
        },
      ],
    });
    await site.rebuild({ full: true });
    // The first publish writes every file, each named (a directory's index also as the directory).
    expect(cloudfront.invalidations).toHaveLength(1);
    expect(cloudfront.invalidations[0]).toMatchObject({ distributionId: 'E2EXAMPLE', authorized: true });
    expect(cloudfront.invalidations[0]!.paths).toEqual(
      expect.arrayContaining(['/status/', '/status/index.html', '/status/404.html']),
    );
    // Past 30 paths, one wildcard instead (CloudFront bills per path).
    const many = Array.from({ length: 31 }, (_, i) => `incidents/i${i}.html`);
    expect(invalidationPaths(many, 'status')).toEqual(['/status/*']);
    expect(invalidationPaths(many)).toEqual(['/*']);

    await seedUpdate(store, incidentId, 'Search is back to normal speed.', '2026-05-20T11:40:00.000Z');
    cloudfront.failNext(503, 'ServiceUnavailable');
    const report = await site.rebuild({ incidentIds: [incidentId] });
    const changed = [...report.targets[0]!.uploaded, ...report.targets[0]!.deleted];
    expect(changed).toContain('index.html');
    expect(cloudfront.invalidations).toHaveLength(2);
    const paths = cloudfront.invalidations[1]!.paths;
    expect(paths).toEqual(invalidationPaths(changed, 'status'));
    expect(paths).toContain('/status/');
    expect(paths).toContain('/status/index.html');
    expect(paths).toContain(`/status/incidents/${incidentId}.html`);
    expect(paths).toContain('/status/api/v2/summary.json');
  });

  it('a purge that fails is logged and leaves the target current', async () => {
    const site = acmeSite(store, join(root, 'site2'), {
      targets: [
        {
          type: 'directory',
          name: 'www2',
          path: join(root, 'www2'),
          purge: [{ type: 'cloudfront', distributionId: 'ENOSUCH', endpoint: cloudfront.url, credentials }],
        },
      ],
    });
    const report = await site.rebuild({ full: true });
    expect(report.targets[0]!.error).toBeUndefined();
    const state = (await listTargetStates(store.db)).find((s) => s.target === 'www2');
    expect(state).toMatchObject({ behindSince: null, failures: 0 });
  });

  it('posts the changed paths and URLs to a purge webhook; a private address is refused unless allowed', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: any }> = [];
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) });
        res.writeHead(200).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/purge`;
    try {
      expect(() =>
        acmeSite(store, join(root, 'site3'), {
          targets: [{ type: 'directory', path: join(root, 'www3'), purge: [{ type: 'webhook', url }] }],
        }),
      ).toThrow(/must use https|loopback|private/i);

      const site = acmeSite(store, join(root, 'site4'), {
        targets: [
          {
            type: 'directory',
            name: 'www4',
            path: join(root, 'www4'),
            purge: [{ type: 'webhook', url, allowPrivate: true, headers: { authorization: 'Bearer cdn-token' } }],
          },
        ],
      });
      await site.rebuild({ full: true });
      await eventually(() => received.length === 1);
      expect(received[0]!.headers.authorization).toBe('Bearer cdn-token');
      expect(received[0]!.body.target).toBe('www4');
      expect(received[0]!.body.paths).toEqual(expect.arrayContaining(['/', '/index.html', '/api/v2/summary.json']));
      expect(received[0]!.body.urls).toEqual(expect.arrayContaining(['https://status.acme.test/index.html']));
      expect(received[0]!.body.stamp).toMatch(/^20\d\d-/);
    } finally {
      server.close();
    }
  });
});

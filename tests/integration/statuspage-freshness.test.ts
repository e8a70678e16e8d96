import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statuspage } from '../../src/channels/statuspage/index.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { startTestHerald, type TestHerald } from '../helpers/herald.js';
import { acmeSite, seedComponents, seedIncident } from '../unit/statuspage-seed.js';

// How fresh a copy is, for visitors (the footer of every page) and for machines (page.updated_at in the JSON, the
// build note at each target), and the 404 page.
describe('status page freshness and the 404 page', () => {
  let store: Store;
  let root: string;
  let clock = new Date('2026-05-20T12:00:00.000Z');

  beforeAll(async () => {
    root = tempDir('herald-sp-fresh-');
    store = await openStore(join(root, 'herald.db'));
    const components = await seedComponents(store, 2, { at: '2026-05-01T00:00:00.000Z' });
    await seedIncident(store, {
      title: 'Queue backlog',
      startedAt: '2026-05-20T11:00:00.000Z',
      components: [{ ...components[0]!, status: 'partial_outage' }],
    });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('pages say when the copy was published and when the status last changed; the JSON and the build note too', async () => {
    const mirror = join(root, 'mirror');
    const site = acmeSite(store, join(root, 'site'), {
      now: () => clock,
      targets: [{ type: 'directory', path: mirror, name: 'mirror' }],
      publishing: { heartbeatMs: 10 * 60_000, staleGraceMs: 0 },
    });
    await site.rebuild({ full: true });
    const index = readFileSync(join(mirror, 'index.html'), 'utf8');
    const lastChange = JSON.parse(readFileSync(join(mirror, 'api/v2/summary.json'), 'utf8')).page.updated_at;
    expect(lastChange).toMatch(/^2026-05-20T/);
    expect(index).toContain(
      `This copy was published <time datetime="2026-05-20T12:00:00.000Z">Wed 20 May 2026 12:00 UTC</time>; the status shown last changed <time datetime="${lastChange}">`,
    );
    for (const doc of ['summary', 'status', 'components', 'incidents']) {
      const json = JSON.parse(readFileSync(join(mirror, `api/v2/${doc}.json`), 'utf8'));
      expect(json.page.updated_at, doc).toBe(lastChange);
    }
    expect(JSON.parse(readFileSync(join(mirror, '.herald-build.json'), 'utf8'))).toEqual({
      stamp: lastChange,
      publishedAt: '2026-05-20T12:00:00.000Z',
    });

    // Nothing changes for a while: the reconciler republishes once the heartbeat is due, so the copy's time moves
    // on and a visitor can tell a quiet day from a stale copy.
    clock = new Date('2026-05-20T12:05:00.000Z');
    expect((await site.catchUp()).rebuilt).toBeUndefined();
    clock = new Date('2026-05-20T12:10:00.000Z');
    expect((await site.catchUp()).rebuilt).toBe('heartbeat');
    expect(readFileSync(join(mirror, 'index.html'), 'utf8')).toContain(
      'This copy was published <time datetime="2026-05-20T12:10:00.000Z">',
    );
    expect(JSON.parse(readFileSync(join(mirror, '.herald-build.json'), 'utf8')).publishedAt).toBe(
      '2026-05-20T12:10:00.000Z',
    );
    // The data's own time did not move.
    expect(JSON.parse(readFileSync(join(mirror, 'api/v2/status.json'), 'utf8')).page.updated_at).toBe(lastChange);

    const notFound = readFileSync(join(mirror, '404.html'), 'utf8');
    expect(notFound).toContain('<h1>Page not found</h1>');
    // Served for a missing page at any depth: links and the stylesheet are absolute.
    expect(notFound).toContain('href="https://status.acme.test/index.html"');
    expect(notFound).toMatch(/href="https:\/\/status\.acme\.test\/assets\/style\.[0-9a-f]{10}\.css"/);
  });

  describe('served by Herald', () => {
    let h: TestHerald;
    beforeAll(async () => {
      h = await startTestHerald({ channels: [statuspage({})] });
      await h.app.inject({ method: 'GET', url: '/' });
    });
    afterAll(async () => h?.close());

    it('a missing page gets 404.html with status 404; a missing JSON document a plain 404', async () => {
      const page = await h.app.inject({ method: 'GET', url: '/incidents/nope.html', headers: { accept: 'text/html' } });
      expect(page.statusCode).toBe(404);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<h1>Page not found</h1>');
      const json = await h.app.inject({ method: 'GET', url: '/api/v2/nope.json', headers: { accept: 'text/html' } });
      expect(json.statusCode).toBe(404);
      expect(json.body).not.toContain('Page not found</h1>');
    });
  });
});

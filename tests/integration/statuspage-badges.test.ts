import { join } from 'node:path';
import Fastify from 'fastify';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusPageRoutes } from '../../src/statuspage/routes.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { acmeSite, seedComponents, seedIncident } from '../unit/statuspage-seed.js';

const NAME = `Pay & "bill" <script>alert(1)</script> \u0001`;

describe('badge.svg and components/ID/badge.svg', () => {
  let store: Store;
  const app = Fastify();
  let ids: string[];

  beforeAll(async () => {
    const root = tempDir('herald-badges-');
    store = await openStore(join(root, 'herald.db'));
    const components = await seedComponents(store, 2, { names: (i) => (i === 0 ? 'API' : NAME) });
    ids = components.map((c) => c.id);
    await seedIncident(store, {
      title: 'Payments down',
      impact: 'critical',
      startedAt: '2026-05-20T10:00:00.000Z',
      components: [{ ...components[1]!, status: 'major_outage' }],
    });
    await store.db.updateTable('components').set({ status: 'major_outage' }).where('id', '=', ids[1]!).execute();
    const dir = join(root, 'site');
    await acmeSite(store, dir, { now: () => new Date('2026-05-20T12:00:00.000Z') }).rebuild({ full: true });
    await statusPageRoutes(app, { dir });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const parse = (svg: string) => {
    expect(XMLValidator.validate(svg)).toBe(true);
    return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg).svg;
  };

  it('the overall badge: well-formed SVG, served as image/svg+xml, naming the page and its state', async () => {
    const res = await app.inject({ url: '/badge.svg' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
    const svg = parse(res.body);
    expect(svg.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(svg.title).toBe('Acme status: Major System Outage');
    expect(svg.text.map((t: { '#text': string }) => t['#text'])).toEqual(['Acme status', 'Major System Outage']);
    expect(svg.rect[1].fill).toBe('#cf222e');
    expect(Number(svg.width)).toBeGreaterThan(100);
  });

  it('a component badge: its name escaped as text, forbidden characters dropped, its status colour', async () => {
    const res = await app.inject({ url: `/components/${ids[1]}/badge.svg` });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>');
    const svg = parse(res.body);
    // Parsed back as text, not as an element: the markup was escaped; the control character is gone.
    expect(svg.text[0]['#text']).toBe('Pay & "bill" <script>alert(1)</script>');
    expect(svg.title).toBe('Pay & "bill" <script>alert(1)</script> : Major outage');
    expect(svg.rect[1].fill).toBe('#cf222e');
    const ok = parse((await app.inject({ url: `/components/${ids[0]}/badge.svg` })).body);
    expect(ok.title).toBe('API: Operational');
    expect(ok.rect[1].fill).toBe('#1a7f37');
  });
});

// The 90-day uptime bars in Chromium, drawn from status changes written by the publish transaction.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusPageRoutes } from '../../src/statuspage/routes.js';
import { createComponent } from '../../src/store/components-repo.js';
import { storePublishedUpdate } from '../../src/store/publish-repo.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { acmeSite } from '../unit/statuspage-seed.js';

const CHROMIUM = '/usr/bin/chromium';
const NOW = new Date('2026-05-20T12:00:00.000Z');

describe.skipIf(!existsSync(CHROMIUM))('daily uptime bars in Chromium', () => {
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let incidentId: string;

  beforeAll(async () => {
    const root = tempDir('herald-uptime-');
    store = await openStore(join(root, 'herald.db'));
    const api = await createComponent(store.db, { name: 'API', group: 'Core' }, '2026-01-01T00:00:00.000Z');
    await createComponent(store.db, { name: 'Search', group: 'Core' }, '2026-05-20T08:00:00.000Z');
    const publish = (at: string, status: 'major_outage' | 'operational', id?: string) =>
      storePublishedUpdate(
        store,
        {
          incidentId: id,
          newIncidentId: 'outage-yesterday',
          title: 'API unreachable',
          impact: 'critical',
          message: status === 'operational' ? 'Resolved.' : 'The API is down.',
          status: status === 'operational' ? 'resolved' : 'investigating',
          components: { [api.id]: status },
          channels: [],
          now: at,
        },
        async () => undefined,
      );
    incidentId = (await publish('2026-05-19T10:00:00.000Z', 'major_outage')).incident.id;
    await publish('2026-05-19T10:02:00.000Z', 'operational', incidentId);
    const dir = join(root, 'site');
    await acmeSite(store, dir, { now: () => NOW }).rebuild({ full: true });
    app = Fastify();
    await statusPageRoutes(app, { dir });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${baseUrl}/`);
    // Groups whose components are all operational start folded, as on Statuspage.
    expect(await page.locator('details.group').getAttribute('open')).toBeNull();
    await page.locator('details.group > summary').click();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
  });

  const row = (name: string) => page.locator('li.c', { has: page.locator('.cr > span', { hasText: name }) });

  it('a 2-minute outage yesterday: a partial day, its share of the day, and 90 days at 99.99%', async () => {
    const api = row('API');
    const bars = api.locator('.bars > *');
    expect(await bars.count()).toBe(90);
    const classes = await bars.evaluateAll((els) => els.map((e) => e.className));
    // Yesterday is the next to last bar: some downtime (orange), not a red day; every other day up.
    expect(classes[88]).toBe('b3');
    expect(classes.filter((c, i) => i !== 88 && c !== 'b0')).toEqual([]);
    // 2 of 1,440 minutes down: 99.86% that day; over the 89.5 days known so far, 2 of 128,880 minutes: 99.99%.
    const yesterday = bars.nth(88);
    expect(await yesterday.getAttribute('title')).toBe('19 May 2026: major outage 2 min (99.86%)');
    expect(await api.locator('.up').innerText()).toContain('99.99% uptime');
    // Without JavaScript the day leads to its incidents: the history month, at that day.
    expect(await yesterday.evaluate((e) => e.tagName)).toBe('A');
    await yesterday.click();
    await page.waitForURL(/history\/2026-05\.html#d2026-05-19$/);
    const day = page.locator('#d2026-05-19');
    expect(await day.locator(`a[href="../incidents/${incidentId}.html"]`).innerText()).toBe('API unreachable');
    await page.goBack();
    await page.locator('details.group').evaluate((d) => d.setAttribute('open', ''));
  });

  it('a component added today shows no data before today, and its uptime since', async () => {
    const search = row('Search');
    const classes = await search.locator('.bars > *').evaluateAll((els) => els.map((e) => e.className));
    expect(classes.slice(0, 89).every((c) => c === 'bn')).toBe(true);
    expect(classes[89]).toBe('b0');
    expect(await search.locator('.bars > *').first().getAttribute('title')).toBe('20 Feb 2026: no data');
    expect(await search.locator('.up').innerText()).toContain('100.00% uptime');
    expect(await search.locator('.sr').innerText()).toContain('no data for the first 89');
  });

  it('the group: the worst day of its components and the mean of their uptime', async () => {
    const group = page.locator('.gu');
    const classes = await group.locator('.bars > *').evaluateAll((els) => els.map((e) => e.className));
    expect(classes[88]).toBe('b3');
    expect(classes[0]).toBe('b0');
    expect(await group.locator('.up').innerText()).toContain('99.99% uptime');
  });
});

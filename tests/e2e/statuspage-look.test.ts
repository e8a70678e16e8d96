// How the status page reads in Chromium: the name, the past incidents, messages rendered as written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import { Templates } from '../../src/render/templates.js';
import { createLogger } from '../../src/runtime/logger.js';
import { BrandError, contrast, loadBrand, parse } from '../../src/statuspage/brand.js';
import { StatusSite } from '../../src/statuspage/build.js';
import { statusPageRoutes } from '../../src/statuspage/routes.js';
import { createComponent } from '../../src/store/components-repo.js';
import { storePostmortem, storePublishedUpdate } from '../../src/store/publish-repo.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';

const CHROMIUM = '/usr/bin/chromium';
const NOW = new Date('2026-05-20T12:00:00.000Z');
const POSTMORTEM = `# Postmortem: API errors

## What happened

The pool was too small.

### Follow-up

- validate pool limits
- alert on saturation`;

describe.skipIf(!existsSync(CHROMIUM))('the status page reads as written, in Chromium', () => {
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let dir: string;
  let incidentId: string;

  beforeAll(async () => {
    const root = tempDir('herald-look-');
    store = await openStore(join(root, 'herald.db'));
    const api = await createComponent(store.db, { name: 'API' }, '2026-01-01T00:00:00.000Z');
    const publish = (at: string, message: string, status: 'investigating' | 'resolved', id?: string) =>
      storePublishedUpdate(
        store,
        {
          incidentId: id,
          newIncidentId: 'api-errors',
          title: 'API errors',
          impact: 'major',
          message,
          status,
          components: { [api.id]: status === 'resolved' ? 'operational' : 'partial_outage' },
          channels: [],
          now: at,
        },
        async () => undefined,
      );
    incidentId = (
      await publish(
        '2026-05-17T09:00:00.000Z',
        '## Impact\n\nSome requests fail:\n\n- `POST /orders`\n- `GET /orders`',
        'investigating',
      )
    ).incident.id;
    await publish('2026-05-17T10:00:00.000Z', 'Resolved.', 'resolved', incidentId);
    await storePostmortem(
      store,
      { incidentId, body: POSTMORTEM, channels: [], now: '2026-05-18T09:00:00.000Z' },
      async () => undefined,
    );
    dir = join(root, 'site');
    const logo = join(root, 'logo.svg');
    writeFileSync(
      logo,
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#ffcc00"/></svg>',
    );
    // The shipped default name; a logo, and an accent colour too pale to read on white as it is.
    await new StatusSite({
      store,
      templates: new Templates(TEMPLATES_DIR),
      logger: createLogger({ level: 'silent' }),
      siteName: 'Status',
      brand: loadBrand({ logo, accentColor: '#ffcc00' }),
      publicUrl: 'https://status.example.test',
      dir,
      signupKinds: () => ['email', 'sms'],
      options: { now: () => NOW },
    }).rebuild({ full: true });
    app = Fastify();
    await statusPageRoutes(app, { dir });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
  });

  it('the default name reads "Status" in the header, the title and the feeds, never "Status status"', async () => {
    await page.goto(`${baseUrl}/`);
    expect(await page.locator('header .brand').innerText()).toBe('Status');
    expect(await page.title()).toBe('Status');
    expect(await page.content()).not.toMatch(/status status/i);
    const atom = readFileSync(join(dir, 'history.atom'), 'utf8');
    const rss = readFileSync(join(dir, 'history.rss'), 'utf8');
    expect(atom).toContain('<title type="text">Status - incident history</title>');
    expect(`${atom}${rss}`).not.toMatch(/status status/i);
  });

  for (const scheme of ['light', 'dark'] as const)
    it(`brand: the logo and favicon load, the accent colour is made readable, axe finds nothing (${scheme})`, async () => {
      const context = await browser.newContext({
        colorScheme: scheme,
        viewport: { width: 1280, height: 900 },
        bypassCSP: true, // for axe's own script
      });
      const p = await context.newPage();
      const responses: Array<{ url: string; status: number; type: string | undefined }> = [];
      p.on('response', (r) => responses.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] }));
      for (const path of ['/', `/incidents/${incidentId}.html`, '/subscribe.html']) {
        await p.goto(baseUrl + path);
        expect(await p.locator('header .brand img').evaluate((img: any) => img.naturalWidth)).toBeGreaterThan(0);
        await p.addScriptTag({ path: resolve('node_modules/axe-core/axe.min.js') });
        const violations = await p.evaluate(async () => {
          const result = await (globalThis as any).axe.run((globalThis as any).document, {
            resultTypes: ['violations'],
          });
          return result.violations.map(
            (v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`,
          );
        });
        expect(violations, path).toEqual([]);
      }
      const favicon = responses.find((r) => /assets\/favicon\.[0-9a-f]+\.svg$/.test(r.url));
      expect(favicon).toMatchObject({ status: 200, type: 'image/svg+xml' });
      const link = await p
        .locator('main a')
        .first()
        .evaluate((a: any) => (globalThis as any).getComputedStyle(a).color);
      const rgb = link.match(/\d+/g)!.slice(0, 3).map(Number) as [number, number, number];
      expect(contrast(rgb, parse(scheme === 'light' ? '#f6f8fa' : '#151b23'))).toBeGreaterThanOrEqual(4.5);
      await context.close();
    });

  it('a bad brand is refused at start, naming the field', () => {
    expect(() => loadBrand({ accentColor: 'blue' })).toThrow(BrandError);
    expect(() => loadBrand({ accentColor: 'blue' })).toThrow(/site\.accentColor 'blue'/);
    expect(() => loadBrand({ logo: '/nonexistent/logo.svg' })).toThrow(
      /site\.logo '\/nonexistent\/logo\.svg' cannot be read/,
    );
    expect(() => loadBrand({ logo: 'logo.gif' })).toThrow(/site\.logo 'logo\.gif' must be a \.svg, \.png file/);
  });

  it("times: <time datetime> in UTC; the local time added by the site's own script under the CSP", async () => {
    const path = `/incidents/${incidentId}.html`;
    const errors: string[] = [];
    const withJs = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US' });
    const p = await withJs.newPage();
    p.on('console', (m) => errors.push(m.text()));
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(baseUrl + path);
    const first = p.locator('main time[datetime*="T"]').first();
    expect(await first.getAttribute('datetime')).toBe('2026-05-17T09:00:00.000Z');
    expect(await first.innerText()).toBe('Sun 17 May 2026 09:00 UTC');
    // 09:00 UTC is 5:00 AM in New York (EDT).
    await p.locator('.lt').first().waitFor();
    expect((await p.locator('main .lt').first().innerText()).trim()).toBe('(May 17, 2026, 5:00 AM your time)');
    expect(await p.locator('main .lt').count()).toBe(await p.locator('main time[datetime*="T"]').count());
    expect(errors).toEqual([]);
    await withJs.close();
    const noJs = await browser.newContext({ javaScriptEnabled: false, timezoneId: 'America/New_York' });
    const q = await noJs.newPage();
    await q.goto(baseUrl + path);
    expect(await q.locator('.lt').count()).toBe(0);
    expect(await q.locator('main time').first().innerText()).toBe('Sun 17 May 2026 09:00 UTC');
    await noJs.close();
  });

  it('past incidents: the last 15 days, newest first, with "No incidents reported" on the quiet ones', async () => {
    await page.goto(`${baseUrl}/`);
    const days = page.locator('#h-past ~ section.day');
    expect(await days.count()).toBe(15);
    expect(await days.first().locator('time').getAttribute('datetime')).toBe('2026-05-20');
    expect(await days.last().locator('time').getAttribute('datetime')).toBe('2026-05-06');
    const may17 = page.locator('section.day', { has: page.locator('time[datetime="2026-05-17"]') });
    expect(await may17.locator('h4 a').innerText()).toBe('API errors');
    expect(await page.locator('section.day', { hasText: 'No incidents reported.' }).count()).toBe(14);
  });

  it('headings in messages are kept, shifted under the page outline; the postmortem shows once; lists look like lists', async () => {
    await page.goto(`${baseUrl}/incidents/${incidentId}.html`);
    const postmortem = page.locator('section[aria-labelledby="h-pm"]');
    // "#" → h3 under the section's h2, "##" → h4, "###" → h5.
    expect(await postmortem.locator('.msg h3').innerText()).toBe('Postmortem: API errors');
    expect(await postmortem.locator('.msg h4').innerText()).toBe('What happened');
    expect(await postmortem.locator('.msg h5').innerText()).toBe('Follow-up');
    expect(await page.getByText('The pool was too small.').count()).toBe(1);
    // The timeline: the two updates, not the postmortem again; under each update's h3, the message's "##" is an h4.
    expect(await page.locator('.timeline > li').count()).toBe(2);
    expect(await page.locator('.timeline > li .msg h4').innerText()).toBe('Impact');
    const item = page.locator('.timeline .msg li').first();
    const style = await item.evaluate((li: any) => {
      const css = (globalThis as any).getComputedStyle;
      return { border: css(li).borderLeftStyle, bullet: css(li.parentElement).listStyleType };
    });
    expect(style).toEqual({ border: 'none', bullet: 'disc' });
    const timelineItem = await page
      .locator('.timeline > li')
      .first()
      .evaluate((li: any) => (globalThis as any).getComputedStyle(li).borderLeftStyle);
    expect(timelineItem).toBe('solid');
  });
});

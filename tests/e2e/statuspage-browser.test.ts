import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/statuspage/compression.js';
import { type Fixture, startFixture } from './statuspage-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const AXE = resolve('node_modules/axe-core/axe.min.js');
const ARTIFACTS = resolve('test-artifacts');
const hasChromium = existsSync(CHROMIUM);
/** The tests that open ten or more pages in Chromium: 20–30 s on a slow CI machine, close to the 30 s default. */
const MANY_PAGES_MS = 120_000;
if (!hasChromium)
  console.warn(`statuspage browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('status page in Chromium', () => {
  let fixture: Fixture;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fixture = await startFixture();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  /** Opens a page, recording dialogs, CSP violations and any request that leaves the site. */
  async function open(
    path: string,
    options: { colorScheme?: 'light' | 'dark'; bypassCSP?: boolean; width?: number } = {},
  ) {
    const context = await browser.newContext({
      bypassCSP: options.bypassCSP ?? false,
      colorScheme: options.colorScheme ?? 'light',
      viewport: { width: options.width ?? 1024, height: 900 },
      javaScriptEnabled: true,
    });
    const page = await context.newPage();
    const dialogs: string[] = [];
    const cspErrors: string[] = [];
    const foreign: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(fixture.baseUrl) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    const response = await page.goto(fixture.baseUrl + path, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const encoding = response?.headers()['content-encoding'];
    return { page, dialogs, cspErrors, foreign, encoding, close: () => context.close() };
  }

  async function axe(page: Page) {
    await page.addScriptTag({ path: AXE });
    return page.evaluate(async () => {
      const g = globalThis as any;
      const result = await g.axe.run(g.document, { resultTypes: ['violations'] });
      return result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')),
      }));
    });
  }

  /** Anything executable that could have come from user text. */
  async function executables(page: Page) {
    return page.evaluate(() => {
      const document = (globalThis as any).document;
      const found: string[] = [];
      for (const el of Array.from(document.querySelectorAll('*')) as any[]) {
        const tag = el.tagName.toLowerCase();
        // The site's own scripts (local times on every page, subscribe.html's), from its assets, no inline code.
        const ownScript =
          tag === 'script' &&
          /^(\.\.\/)?assets\/(local-time|subscribe)\.[0-9a-f]{10}\.js$/.test(el.getAttribute('src') ?? '') &&
          !el.text;
        if (['script', 'iframe', 'object', 'embed', 'base'].includes(tag) && !ownScript) found.push(`<${tag}>`);
        if (tag === 'meta' && el.getAttribute('http-equiv')) found.push('<meta http-equiv>');
        for (const attr of Array.from(el.attributes) as any[]) {
          if (/^on/i.test(attr.name)) found.push(`${tag}[${attr.name}]`);
          if (
            ['href', 'src', 'action', 'data', 'formaction', 'xlink:href'].includes(attr.name) &&
            /^\s*javascript:/i.test(attr.value.replace(/[\s\u0000-\u001f]/g, ''))
          ) {
            found.push(`${tag}[${attr.name}=${attr.value}]`);
          }
        }
      }
      const forms = (Array.from(document.forms) as any[]).map((f) => f.getAttribute('action') as string);
      return { found, forms };
    });
  }

  for (const scheme of ['light', 'dark'] as const) {
    it(`index: no axe violations, no inline code blocked, no third-party requests (${scheme})`, async () => {
      const { page, cspErrors, foreign, dialogs, close } = await open('/', { colorScheme: scheme, bypassCSP: true });
      await page.screenshot({ path: join(ARTIFACTS, `statuspage-index-${scheme}.png`), fullPage: true });
      expect(await axe(page)).toEqual([]);
      expect(foreign).toEqual([]);
      expect(dialogs).toEqual([]);
      await close();
      // Under the real CSP nothing on the page is refused: no inline script, style or handler.
      const strict = await open('/', { colorScheme: scheme });
      expect(strict.cspErrors).toEqual([]);
      expect(cspErrors).toEqual([]);
      await strict.close();
    });
  }

  it('index shows the overall status, groups, active incidents, maintenance and the linked external group', async () => {
    const { page, encoding, close } = await open('/');
    // Chromium asks for Brotli, and what it decoded is what the checks below read.
    expect(encoding).toBe('br');
    const text = await page.locator('main').innerText();
    expect(await page.locator('.overall').innerText()).toBe('Major System Outage');
    expect(text).toContain('Active incidents');
    expect(await page.locator('#h-active ~ article').count()).toBe(20);
    expect(text).toContain('Scheduled maintenance');
    expect(text).toContain('Group 1');
    const cloud = page.locator('.group', { has: page.locator('a[href="https://status.cloud.example"]') });
    expect(await cloud.innerText()).toContain('Compute');
    expect(await cloud.innerText()).toContain('Degraded performance');
    expect(await cloud.innerText()).not.toContain('DNS');
    expect(await page.locator('a[href="https://status.payments.example"]').count()).toBe(1);
    await close();
  });

  it('readable on a phone without JavaScript', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 800 },
      bypassCSP: false,
    });
    const page = await context.newPage();
    await page.goto(`${fixture.baseUrl}/`);
    const overflow = await page.evaluate(() => {
      const root = (globalThis as any).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'statuspage-index-mobile.png'), fullPage: false });
    expect(await page.locator('.overall').isVisible()).toBe(true);
    await context.close();
  });

  it(
    'incident, history and subscribe pages have no axe violations',
    async () => {
      const month = '2026-05';
      for (const path of [
        `/incidents/${fixture.incidentIds[0]}.html`,
        `/incidents/${fixture.xssIncidentIds.at(-1)}.html`,
        '/history.html',
        `/history/${month}.html`,
        '/subscribe.html',
      ]) {
        for (const scheme of ['light', 'dark'] as const) {
          const { page, close } = await open(path, { colorScheme: scheme, bypassCSP: true });
          const violations = await axe(page);
          expect(violations, `${path} (${scheme})`).toEqual([]);
          if (scheme === 'light' && path.startsWith('/incidents/'))
            await page.screenshot({
              path: join(
                ARTIFACTS,
                `statuspage-incident-${path.includes(fixture.incidentIds[0]!) ? 'active' : 'postmortem'}.png`,
              ),
              fullPage: true,
            });
          await close();
        }
      }
    },
    MANY_PAGES_MS,
  );

  it("the subscribe form posts email/phone and components[] to Herald's /subscribe", async () => {
    const { page, close } = await open('/subscribe.html');
    // HERALD_APP_URL, defaulting to the public URL.
    expect(await page.locator('form').getAttribute('action')).toBe('https://status.acme.test/subscribe');
    expect(await page.locator('form').getAttribute('method')).toBe('post');
    expect(await page.locator('input[name="email"][type="email"]').count()).toBe(1);
    expect(await page.locator('input[name="phone"][type="tel"]').count()).toBe(1);
    expect(await page.locator('input[name="components[]"]').count()).toBe(50);
    await close();
  });

  it(
    'XSS corpus in titles, messages, postmortems, component and group names leaves nothing executable',
    async () => {
      const paths = [
        '/',
        '/subscribe.html',
        '/history.html',
        '/history/2026-05.html',
        ...fixture.xssIncidentIds.map((id) => `/incidents/${id}.html`),
      ];
      for (const path of paths) {
        // CSP bypassed on purpose: the markup itself must be inert, the CSP is a second line.
        const { page, dialogs, close } = await open(path, { bypassCSP: true });
        await page.mouse.move(200, 300);
        await page.waitForTimeout(50);
        const { found, forms } = await executables(page);
        expect(found, path).toEqual([]);
        expect(dialogs, path).toEqual([]);
        expect(
          forms.every((a) => a === 'https://status.acme.test/subscribe'),
          path,
        ).toBe(true);
        expect(await page.title(), path).not.toMatch(/^$/);
        await close();
      }
      // The text survives as text.
      const { page, close } = await open(`/incidents/${fixture.xssIncidentIds[0]}.html`);
      expect(await page.locator('h1').innerText()).toContain('<script>alert(1)</script>');
      await close();
    },
    MANY_PAGES_MS,
  );

  it('index HTML + CSS stay under 50 KB as sent (gzip) with 50 components, their 90-day bars and 20 active incidents', async () => {
    const raw = readFileSync(join(fixture.dir, 'index.html'));
    const cssPath = /href="([^"]+\.css)"/.exec(raw.toString('utf8'))![1]!;
    const cssRaw = readFileSync(join(fixture.dir, cssPath));
    // gzip: what every CDN sends; `herald serve` prefers Brotli, smaller still.
    const html = (await compress(raw, 'gzip')).length;
    const css = (await compress(cssRaw, 'gzip')).length;
    const br = (await compress(raw, 'br')).length + (await compress(cssRaw, 'br')).length;
    console.log(
      `index.html ${raw.length} B (gzip ${html} B) + ${cssPath} ${cssRaw.length} B (gzip ${css} B) = gzip ${html + css} B, br ${br} B`,
    );
    expect(raw.length).toBeGreaterThan(50 * 90 * 10); // the bars are there: 90 days of 50 components
    expect(html + css).toBeLessThan(50 * 1024);
  });
});

// embed.html, the status widget, framed by pages of other origins in Chromium, served by Herald's own HTTP app.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildStatusSite, statuspage } from '../../src/channels/statuspage/index.js';
import { withBanner } from '../../src/statuspage/emergency.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

const CHROMIUM = '/usr/bin/chromium';
const AXE = resolve('node_modules/axe-core/axe.min.js');

/** A site of its own origin (localhost, not 127.0.0.1) whose page frames `src` at widget size. */
async function hostSite(): Promise<{ app: FastifyInstance; origin: string; frame: (src: string) => string }> {
  const app = Fastify();
  app.get('/', (request, reply) => {
    const src = String((request.query as { src?: string }).src ?? '');
    reply
      .type('text/html')
      .send(
        `<!doctype html><html lang="en"><head><title>Host</title></head><body><main><h1>Host</h1>` +
          `<iframe title="Status" src="${src}" width="400" height="150" style="border:0"></iframe></main></body></html>`,
      );
  });
  const listening = await app.listen({ host: '127.0.0.1', port: 0 });
  const origin = listening.replace('127.0.0.1', 'localhost');
  return { app, origin, frame: (src) => `${origin}/?src=${encodeURIComponent(src)}` };
}

describe.skipIf(!existsSync(CHROMIUM))('embed.html in a frame on another site, in Chromium', () => {
  let h: TestHerald;
  let herald: string;
  let listed: Awaited<ReturnType<typeof hostSite>>;
  let unlisted: Awaited<ReturnType<typeof hostSite>>;
  let browser: Browser;

  beforeAll(async () => {
    listed = await hostSite();
    unlisted = await hostSite();
    h = await startTestHerald({
      workers: false,
      channels: [statuspage()],
      site: { name: 'Acme', embedAncestors: [listed.origin] },
    });
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const incident = await h.api('POST', '/api/v1/incidents', {
      title: 'Elevated API errors',
      message: 'We are investigating.',
      status: 'investigating',
      impact: 'major',
      components: { [api.id]: 'partial_outage' },
    });
    expect(incident.status, JSON.stringify(incident.body)).toBe(201);
    await h.api('POST', '/api/v1/maintenances', {
      title: 'Database upgrade',
      message: 'Read-only for an hour.',
      scheduledFor: new Date(Date.now() + 86_400_000).toISOString(),
      scheduledUntil: new Date(Date.now() + 90_000_000).toISOString(),
      components: [api.id],
    });
    await rebuildStatusSite(h.herald, { full: true });
    herald = await h.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await listed?.app.close();
    await unlisted?.app.close();
  });

  /** Opens `url`, recording CSP refusals and requests that leave Herald's and the host's origins. */
  async function open(url: string, options: { colorScheme?: 'light' | 'dark'; bypassCSP?: boolean } = {}) {
    const context = await browser.newContext({
      colorScheme: options.colorScheme ?? 'light',
      bypassCSP: options.bypassCSP ?? false,
      viewport: { width: 800, height: 400 },
    });
    const page = await context.newPage();
    const refused: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => {
      if (/frame-ancestors|Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    page.on('request', (r) => {
      const u = r.url();
      if (![herald, listed.origin, unlisted.origin].some((o) => u.startsWith(o)) && !u.startsWith('data:'))
        foreign.push(u);
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, refused, foreign, close: () => context.close() };
  }

  /** The widget's banner text inside the host's frame, or null when the frame shows no widget. */
  async function framedBanner(page: Page): Promise<string | null> {
    const frame = page.frames().find((f) => f !== page.mainFrame());
    if (!frame) return null;
    try {
      return await frame.locator('.o').innerText({ timeout: 2_000 });
    } catch {
      return null;
    }
  }

  it('is shown in a frame on a listed origin, and its links open in the top window', async () => {
    const { page, refused, foreign, close } = await open(listed.frame(`${herald}/embed.html`));
    expect(await framedBanner(page)).toBe('Partial System Outage');
    expect(refused).toEqual([]);
    expect(foreign).toEqual([]);
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    const links = await frame
      .locator('a')
      .evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('target')]));
    expect(links).toContainEqual(['Elevated API errors', expect.stringMatching(/^incidents\/.+\.html$/), '_top']);
    expect(links).toContainEqual(['Database upgrade', expect.stringMatching(/^index\.html#maintenance-/), '_top']);
    expect(links.every(([, , target]) => target === '_top')).toBe(true);
    // Following a link replaces the host page, not the frame.
    await frame.locator('a', { hasText: 'Full status page' }).click();
    await page.waitForURL(`${herald}/index.html`);
    await close();
  });

  it('is refused in a frame on an origin not listed, and every other page is refused everywhere', async () => {
    const other = await open(unlisted.frame(`${herald}/embed.html`));
    expect(await framedBanner(other.page)).toBeNull();
    expect(other.refused.join('\n')).toMatch(/frame-ancestors/);
    await other.close();
    const index = await open(listed.frame(`${herald}/`));
    expect(
      await index.page
        .frames()[1]
        ?.locator('.overall')
        .count()
        .catch(() => 0),
    ).toBe(0);
    expect(index.refused.join('\n')).toMatch(/frame-ancestors 'none'/);
    await index.close();
  });

  it('carries the break-glass banner like every page (herald statuspage emergency)', async () => {
    const page = (await h.app.inject({ url: '/embed.html' })).body;
    expect(withBanner(page, { message: 'Our cloud region is down', at: new Date().toISOString() })).toMatch(
      /<h1>.*<\/h1>\n<!--herald:emergency--><div class="emergency" role="alert"><p><strong>Our cloud region is down/,
    );
  });

  it('sends its frame-ancestors as a header, without X-Frame-Options; the index keeps DENY', async () => {
    const embed = await h.app.inject({ url: '/embed.html' });
    expect(embed.headers['content-security-policy']).toContain(`frame-ancestors ${listed.origin}`);
    expect(embed.headers['x-frame-options']).toBeUndefined();
    const index = await h.app.inject({ url: '/' });
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-frame-options']).toBe('DENY');
  });

  for (const scheme of ['light', 'dark'] as const)
    it(`has no axe violations, no script and no third-party request (${scheme})`, async () => {
      const { page, foreign, close } = await open(`${herald}/embed.html`, { colorScheme: scheme, bypassCSP: true });
      expect(await page.locator('script').count()).toBe(0);
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        const g = globalThis as any;
        const result = await g.axe.run(g.document, { resultTypes: ['violations'] });
        return result.violations.map((v: any) => ({ id: v.id, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
      });
      expect(violations).toEqual([]);
      expect(foreign).toEqual([]);
      await close();
    });
});

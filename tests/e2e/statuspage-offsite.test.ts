import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { statuspage } from '../../src/channels/statuspage/index.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { freePort, tempDir } from '../helpers/env.js';
import { deliveredEverywhere, startTestHerald, type TestHerald } from '../helpers/herald.js';
import { startStaticServer } from '../helpers/static-server.js';

// An off-site copy as an operator runs it: a directory target served by a plain static web server (Python's
// http.server) at HERALD_PUBLIC_URL, and Herald on another address (HERALD_APP_URL).

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('an off-site copy served by a plain static web server', () => {
  let h: TestHerald;
  let mirrorHost: { url: string; close(): Promise<void> };
  let browser: Browser;
  let publicUrl: string;
  let appUrl: string;
  let incidentId: string;
  let heraldStopped = false;
  let sink: SmtpSink;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const root = tempDir('herald-offsite-');
    mkdirSync(join(root, 'www'));
    mirrorHost = await startStaticServer(join(root, 'www'));
    // The copy lives under a path on the static host, as on a shared web server.
    publicUrl = `${mirrorHost.url}/status`;
    sink = await startSmtpSink({ keep: true });
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    h = await startTestHerald({
      workers: true,
      env: { HERALD_PUBLIC_URL: publicUrl, HERALD_APP_URL: appUrl, HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
      channels: [
        email({ smtpUrl: sink.url, from: 'Status <status@example.test>' }),
        statuspage({
          dir: join(root, 'site'),
          targets: [{ type: 'directory', path: join(root, 'www', 'status') }],
          follow: [{ label: 'Mastodon: @acme@social.example', url: 'https://social.example/@acme' }],
        }),
      ],
    });
    await h.app.listen({ host: '127.0.0.1', port });
    const api = await h.api('POST', '/api/v1/components', { name: 'Checkout', group: 'Shop' });
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'We are investigating failed payments.',
      impact: 'major',
      channels: ['statuspage'],
      components: { [api.body.id]: 'major_outage' },
    });
    expect(opened.status).toBe(201);
    incidentId = opened.body.incident.id;
    await deliveredEverywhere(h, opened.body.update.id);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (!heraldStopped) await h?.app.close();
    await h?.herald.close();
    await mirrorHost?.close();
    await sink?.close();
  });

  it("posts the copy's form to the app URL, which answers and leads back to the page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const response = await page.goto(`${publicUrl}/subscribe.html`);
    expect(response?.status()).toBe(200);
    expect(await page.locator('#subscribe-form').getAttribute('action')).toBe(`${appUrl}/subscribe`);
    // Herald answers: the script finds it and leaves the form alone.
    await expect.poll(() => page.locator('#subscribe-form').getAttribute('data-app-state')).toBe('up');
    expect(await page.locator('#app-down').isHidden()).toBe(true);
    await page.fill('#email', 'reader@example.org');
    await Promise.all([page.waitForURL(`${appUrl}/subscribe`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').innerText()).toBe('Check your inbox');
    const back = page.locator('a', { hasText: 'Back to the' });
    expect(await back.getAttribute('href')).toBe(`${publicUrl}/`);
    await Promise.all([page.waitForURL(`${publicUrl}/`), back.click()]);
    expect(await page.locator('h1, .overall').first().innerText()).not.toBe('');
    await context.close();
    for (const width of [1280, 390]) {
      const shot = await browser.newContext({ viewport: { width, height: 900 } });
      const index = await shot.newPage();
      await index.goto(`${publicUrl}/`);
      expect(await index.locator('footer .fresh').innerText()).toMatch(
        /^This copy was published .+ UTC; the status shown last changed .+ UTC\.$/,
      );
      await index.screenshot({ path: join(ARTIFACTS, `offsite-index-${width}.png`), fullPage: true });
      await shot.close();
    }
    const subscribers = await h.api('GET', '/api/v1/subscribers');
    expect(subscribers.body.map((s: { email: string }) => s.email)).toEqual(['reader@example.org']);
  });

  it('with Herald stopped: the form explains and lists the other ways to follow; every link resolves on the copy', async () => {
    await h.app.close();
    heraldStopped = true;
    await expect(fetch(`${appUrl}/healthz`)).rejects.toThrow();

    for (const width of [1280, 390]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${publicUrl}/subscribe.html`);
      await page.locator('#app-down').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator('#app-down').innerText()).toContain('Sign-up is not available right now');
      await page.fill('#email', 'late@example.org');
      await page.click('button[type=submit]');
      // The post is held back: the visitor stays on the page, the notice gets the focus.
      await expect.poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('app-down');
      expect(page.url()).toBe(`${publicUrl}/subscribe.html`);
      const follow = await page.locator('.follow a').evaluateAll((as) => as.map((a) => (a as any).href as string));
      expect(follow).toEqual([
        `${publicUrl}/history.atom`,
        `${publicUrl}/history.rss`,
        `${publicUrl}/api/v2/summary.json`,
        'https://social.example/@acme',
      ]);
      await page.screenshot({ path: join(ARTIFACTS, `offsite-app-unreachable-${width}.png`), fullPage: true });
      await context.close();
    }

    // Every link of every page, feed and JSON document on the copy: on the static host, and answering there.
    const seen = new Set<string>();
    const queue = [`${publicUrl}/index.html`, `${publicUrl}/history.rss`, `${publicUrl}/history.atom`];
    for (const doc of ['summary', 'status', 'components', 'incidents', 'scheduled-maintenances'])
      queue.push(`${publicUrl}/api/v2/${doc}.json`);
    const offHost: string[] = [];
    while (queue.length > 0) {
      const url = queue.shift()!.replace(/#.*$/, '');
      if (seen.has(url)) continue;
      seen.add(url);
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      if (!/\.(html|rss|atom|json)$/.test(new URL(url).pathname) && !url.endsWith('/')) continue;
      const text = await response.text();
      const links = [
        ...[...text.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!),
        ...[...text.matchAll(/<link>([^<]+)<\/link>/g)].map((m) => m[1]!),
        ...[...text.matchAll(/"(?:url|shortlink)":"([^"]+)"/g)].map((m) => m[1]!),
      ];
      for (const link of links) {
        const absolute = new URL(link.replace(/&amp;/g, '&'), url).toString();
        if (absolute.startsWith(`${publicUrl}/`) || absolute === publicUrl) queue.push(absolute);
        else if (!absolute.startsWith('https://social.example/')) offHost.push(`${url} → ${absolute}`);
      }
    }
    expect(offHost).toEqual([]);
    expect(seen.has(`${publicUrl}/incidents/${incidentId}.html`)).toBe(true);
    expect([...seen].length).toBeGreaterThan(12);
    const summary = (await (await fetch(`${publicUrl}/api/v2/summary.json`)).json()) as any;
    expect(summary.page.url).toBe(publicUrl);
    expect(summary.incidents[0].shortlink).toBe(`${publicUrl}/incidents/${incidentId}.html`);
  }, 60_000);
});

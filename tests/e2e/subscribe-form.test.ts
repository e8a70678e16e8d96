import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { statuspage } from '../../src/channels/statuspage/index.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { eventually, freePort, tempDir } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

const ARTIFACTS = resolve('test-artifacts/subscribe-form');
const AXE = resolve('node_modules/axe-core/axe.min.js');

// The subscribe page of a Herald with only the email channel, as a reader uses it in Chromium: it offers email and
// nothing else, a refused address comes back in the form, a good one gets the "check your inbox" page.
describe('the subscribe form in Chromium, email only', () => {
  let h: TestHerald;
  let sink: SmtpSink;
  let browser: Browser;
  let base = '';
  let core = '';

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sink = await startSmtpSink({ keep: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    h = await startTestHerald({
      workers: true,
      channels: [
        statuspage({ dir: join(tempDir('herald-subscribe-'), 'site') }),
        email({ smtpUrl: sink.url, from: 'Status <status@example.test>' }),
      ],
      env: { HERALD_PUBLIC_URL: base },
    });
    core = (await h.api('POST', '/api/v1/components', { name: 'API', group: 'Core' })).body.id;
    await h.api('POST', '/api/v1/components', { name: 'Database', group: 'Core' });
    await h.api('POST', '/api/v1/components', { name: 'Website' });
    await h.app.listen({ host: '127.0.0.1', port });
    await eventually(async () => (await fetch(`${base}/subscribe.html`)).ok, 30_000);
    await eventually(async () => (await (await fetch(`${base}/subscribe.html`)).text()).includes('Website'), 30_000);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await sink?.close();
  });

  async function axe(page: Page) {
    await page.addScriptTag({ path: AXE });
    return page.evaluate(async () => {
      const g = globalThis as any;
      const result = await g.axe.run(g.document, { resultTypes: ['violations'] });
      return result.violations.map((v: any) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n: any) => n.target) }));
    });
  }

  it('offers email only, keeps a refused address in the form, and sends a good one to the inbox page', async () => {
    for (const width of [1280, 390]) {
      for (const scheme of ['light', 'dark'] as const) {
        // axe injects its script inline: the CSP is bypassed for it only (the pages' own CSP is tested elsewhere).
        const context = await browser.newContext({
          viewport: { width, height: 900 },
          colorScheme: scheme,
          bypassCSP: true,
        });
        const page = await context.newPage();
        const blocked: string[] = [];
        // Nothing the pages load is refused or missing (the refused sign-up itself is a 400 on purpose).
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
        });
        page.on('response', (r) => {
          if (r.status() >= 400 && r.url() !== `${base}/subscribe`) blocked.push(`${r.status()} ${r.url()}`);
        });
        await page.goto(`${base}/subscribe.html`);
        expect(await page.getByLabel('Email address').count()).toBe(1);
        expect(await page.locator('input[name="phone"]').count()).toBe(0);
        expect(await page.locator('input[name="webhookUrl"]').count()).toBe(0);
        expect(await page.getByText('SMS').count()).toBe(0);
        expect(await axe(page), `subscribe.html ${width} ${scheme}`).toEqual([]);
        await page.screenshot({ path: join(ARTIFACTS, `subscribe-${width}-${scheme}.png`), fullPage: true });

        // An address the browser takes and Herald does not (no top-level domain); the whole Core group ticked.
        const address = `reader-${width}-${scheme}@example`;
        await page.fill('#email', address);
        await page.getByLabel('All of Core').check();
        expect(await page.getByLabel('API').isChecked()).toBe(true); // the script ticks the group's components
        await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('button[type=submit]')]);
        expect(await page.getByRole('alert').innerText()).toContain(
          'Email address: must be an email address such as ops@example.com.',
        );
        expect(await page.inputValue('#email')).toBe(address);
        expect(await page.getByLabel('All of Core').isChecked()).toBe(true);
        expect(await page.getByLabel('Website').isChecked()).toBe(false);
        expect(await page.locator('#email').getAttribute('aria-invalid')).toBe('true');
        expect(await axe(page), `problem page ${width} ${scheme}`).toEqual([]);
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
        await page.screenshot({ path: join(ARTIFACTS, `problem-${width}-${scheme}.png`), fullPage: true });

        // Corrected, from the same form.
        const good = `reader-${width}-${scheme}@example.test`;
        await page.fill('#email', good);
        await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('button[type=submit]')]);
        expect(await page.locator('h1').innerText()).toBe('Check your inbox');
        expect(await page.locator('main').innerText()).toContain(good);
        expect(await page.getByRole('heading', { name: 'What happens next' }).count()).toBe(1);
        expect(await axe(page), `sent page ${width} ${scheme}`).toEqual([]);
        await page.screenshot({ path: join(ARTIFACTS, `sent-${width}-${scheme}.png`), fullPage: true });
        expect(blocked).toEqual([]);
        await context.close();

        const subscriber = (await h.api('GET', '/api/v1/subscribers')).body.find(
          (s: { email?: string }) => s.email === good,
        );
        expect(subscriber.components).toContain(core);
        expect(subscriber.components).toHaveLength(2);
      }
    }
    await eventually(() => sink.messages.length === 4, 30_000);
  }, 180_000);
});

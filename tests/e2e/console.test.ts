import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { PASSWORD, addUser, lookalikeChannels } from '../integration/console-helpers.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const AXE = resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  // A string expression: the test project has no DOM types.
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`) as Promise<
    AxeViolation[]
  >;
}

describe('the commander console in Chromium', () => {
  let h: TestHerald;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startTestHerald({
      channels: [recordingChannel('recorder').definition, ...lookalikeChannels()],
      workers: true,
    });
    await addUser(h, 'commander', 'commander');
    await h.api('POST', '/api/v1/subscribers', { phone: '+14155550100', confirmed: true });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (msg) => {
      // The sandboxed email frame blocks the email's own script on purpose; anything else is a console bug.
      if (/Content Security Policy/i.test(msg.text()) && !msg.location().url.includes('/console/frames/'))
        cspErrors.push(msg.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const waitSettled = async () => {
    await page.locator('#progress[data-settled="1"], #progress:not([data-live])').waitFor();
    return page
      .locator('#progress-rows tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-channel'), r.getAttribute('data-state')]));
  };

  it('signs in, opens an incident with previews, watches it land, updates and resolves it', async () => {
    await page.goto(`${base}/console/`);
    await expect.poll(() => page.url()).toContain('/console/login');
    await page.getByLabel('Username').fill('commander');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.screenshot({ path: `${ARTIFACTS}/console-1-sign-in.png`, fullPage: true });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();

    // A component.
    await page.getByRole('link', { name: 'Components' }).click();
    await page.getByLabel('Name', { exact: true }).first().fill('Checkout API');
    await page.getByLabel('Group (optional)').fill('Payments');
    await page.getByRole('button', { name: 'Add component' }).click();
    await page.getByText("Component 'Checkout API' added.").waitFor();

    // Compose with live previews.
    await page.getByRole('link', { name: 'Open incident' }).click();
    await page.getByLabel('Title').fill('Card payments failing');
    await page.getByLabel('Impact').selectOption('major');
    await page.getByLabel('Checkout API (Payments)').selectOption('major_outage');
    await page
      .getByLabel('Message (Markdown)')
      .fill('Some card payments fail at checkout ✅. We are investigating and will update within 30 minutes.');
    const twitter = page.locator('#preview [data-channel="twitter"]');
    await expect.poll(() => twitter.locator('pre.msg').textContent()).toContain('Some card payments fail');
    const weighted = await twitter.locator('.metrics dd').first().textContent();
    expect(weighted).toMatch(/^\d+ \/ 280 weighted characters$/);
    expect(Number(weighted!.split(' ')[0])).toBeGreaterThan(100);
    await expect
      .poll(() => page.locator('#preview [data-channel="sms"] .metrics').textContent())
      .toMatch(/SMS segments\s*3 \/ 3 segments \(UCS-2, 187 code units\)/);
    await expect.poll(() => page.getByTestId('reach').textContent()).toContain('1 SMS');
    await expect.poll(() => page.locator('#preview .warnings').textContent()).toContain('switch the SMS to UCS-2');
    await expect.poll(() => twitter.locator('.thread').textContent()).toContain('New post');
    // The email HTML shows in its sandboxed frame, styled, with its script blocked.
    await expect
      .poll(() => page.frameLocator('#preview iframe.frame').locator('h1').textContent())
      .toBe('Card payments failing');
    await page.screenshot({ path: `${ARTIFACTS}/console-2-compose.png`, fullPage: true });

    // Publish and watch every channel reach delivered over server-sent events.
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.url()).toMatch(/\/console\/updates\/[0-9a-z]{26}$/);
    const first = await waitSettled();
    expect(first.sort()).toEqual([
      ['email', 'delivered'],
      ['recorder', 'delivered'],
      ['sms', 'delivered'],
      ['twitter', 'delivered'],
    ]);
    await expect.poll(() => page.getByRole('status').last().textContent()).toContain('Every channel has settled');
    expect(await page.locator('[data-channel="twitter"] a', { hasText: 'View the post' }).getAttribute('href')).toMatch(
      /^https:\/\/x\.example\.test\//,
    );
    await page.screenshot({ path: `${ARTIFACTS}/console-3-delivered.png`, fullPage: true });

    // A follow-up update, threaded on twitter.
    await page.getByRole('link', { name: 'Incident timeline' }).click();
    await page.getByRole('link', { name: 'Post an update' }).click();
    await page.getByLabel('Status').selectOption('identified');
    await page.getByLabel('Message (Markdown)').fill('We found the cause: a bad certificate on the card gateway.');
    await expect.poll(() => twitter.locator('.thread').textContent()).toContain('Reply in the thread (update 2)');
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.url()).toMatch(/\/console\/updates\//);
    expect((await waitSettled()).every(([, state]) => state === 'delivered')).toBe(true);

    // Resolve.
    await page.getByRole('link', { name: 'Incident timeline' }).click();
    await page.getByRole('link', { name: 'Resolve' }).click();
    expect(await page.getByLabel('Checkout API (Payments)').inputValue()).toBe('operational');
    await page.getByLabel('Message (Markdown)').fill('Card payments work again. Sorry for the trouble.');
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.url()).toMatch(/\/console\/updates\//);
    expect((await waitSettled()).every(([, state]) => state === 'delivered')).toBe(true);
    await page.getByRole('link', { name: 'Incident timeline' }).click();
    await page.getByText('Resolved', { exact: true }).first().waitFor();
    expect(await page.locator('.timeline > li').count()).toBe(3);
    await page.screenshot({ path: `${ARTIFACTS}/console-4-timeline.png`, fullPage: true });

    const incidents = (await h.api('GET', '/api/v1/incidents')).body as Array<{
      status: string;
      components: unknown[];
    }>;
    expect(incidents[0]).toMatchObject({ status: 'resolved' });
    expect((await h.api('GET', '/api/v1/components')).body[0]).toMatchObject({
      name: 'Checkout API',
      status: 'operational',
    });
    expect(cspErrors).toEqual([]);

    // On a phone-sized screen the dashboard still fits.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/console/`);
    await page.screenshot({ path: `${ARTIFACTS}/console-5-phone-dashboard.png`, fullPage: true });
  }, 120_000);

  it('has no axe-core violations on the main pages', async () => {
    const incidentId = ((await h.api('GET', '/api/v1/incidents')).body as Array<{ id: string }>)[0]!.id;
    const updateId = (
      (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body as { updates: Array<{ id: string }> }
    ).updates[0]!.id;
    const audit = await browser.newContext({ bypassCSP: true, storageState: await context.storageState() });
    const anonymous = await browser.newContext({ bypassCSP: true });
    try {
      const results: Record<string, AxeViolation[]> = {};
      const loginPage = await anonymous.newPage();
      await loginPage.goto(`${base}/console/login`);
      results.login = await axeViolations(loginPage);
      const p = await audit.newPage();
      for (const path of [
        '/console/',
        '/console/incidents/new',
        `/console/incidents/${incidentId}`,
        `/console/incidents/${incidentId}/update`,
        `/console/updates/${updateId}`,
        `/console/incidents/${incidentId}/postmortem`,
        '/console/components',
        '/console/maintenances',
        '/console/subscribers',
        '/console/templates',
        '/console/incidents',
      ]) {
        await p.goto(`${base}${path}`);
        results[path] = await axeViolations(p);
      }
      expect(Object.fromEntries(Object.entries(results).filter(([, v]) => v.length > 0))).toEqual({});
    } finally {
      await audit.close();
      await anonymous.close();
    }
  }, 90_000);
});

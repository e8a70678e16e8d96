import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { PASSWORD, addUser } from '../integration/console-helpers.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/alerts');
const ALERT_TOKEN = 'alert-token-e2e-0123456789';
/** console.js has ticked the countdown into minutes and seconds. */
const TICKED = `/min \\d\\d s/.test(document.querySelector('[data-countdown]')?.textContent ?? '')`;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

// The draft page and the dashboard's draft card in Chromium at 1280 and 390 px: the countdown ticks (console.js),
// the alerts list, the publish form and the dismiss button are all on screen.
describe('a draft from alerts in the console, in Chromium', () => {
  let h: TestHerald;
  let base: string;
  let browser: Browser;
  let draftId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startTestHerald({
      channels: [recordingChannel('slack').definition, recordingChannel('email').definition],
      workers: false,
      env: { HERALD_ALERT_TOKEN: ALERT_TOKEN, HERALD_ALERT_AUTOPUBLISH_MINUTES: '15' },
    });
    await addUser(h, 'commander', 'commander');
    await h.api('POST', '/api/v1/components', { name: 'API', group: 'Platform' });
    await h.api('POST', '/api/v1/components', { name: 'Checkout', group: 'Shop' });
    const body = readFileSync(join(import.meta.dirname, '../fixtures/alerts/alertmanager-firing.json'), 'utf8');
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/alertmanager',
      headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
      payload: body,
    });
    draftId = res.json().incidentId;
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  for (const width of [1280, 390]) {
    it(`draft page and dashboard at ${width} px`, { timeout: 60_000 }, async () => {
      const page = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${base}/console/login`);
      await page.getByLabel('Username').fill('commander');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'Drafts from alerts' }).waitFor();
      // console.js ticks the countdown in minutes and seconds.
      await page.waitForFunction(TICKED);
      await page.screenshot({ path: `${ARTIFACTS}/dashboard-${width}.png`, fullPage: true });

      await page.goto(`${base}/console/drafts/${draftId}`);
      await page.getByRole('heading', { name: 'Draft from alertmanager', level: 1 }).waitFor();
      expect(await page.getByText('Draft: not public').isVisible()).toBe(true);
      // A draft is none of the navigation's pages.
      expect(await page.locator('nav [aria-current="page"]').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Dismiss: never publish' }).isVisible()).toBe(true);
      expect(await page.getByLabel('Title').inputValue()).toBe('API error rate is high');
      await page.waitForFunction(TICKED);
      await page.getByText('2 of 2 alerts firing').click();
      await page.screenshot({ path: `${ARTIFACTS}/draft-${width}.png`, fullPage: true });
      // Nothing sticks out of a phone's width.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await page.context().close();
    });
  }
});

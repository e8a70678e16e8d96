import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as registry from '../../src/channels/registry.js';
import type { ContractFixture } from '../contract/channel-contract.js';
import { contractFixtures } from '../contract/fixtures/index.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { PASSWORD, addUser } from '../integration/console-helpers.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/compose-preview');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// The compose page with every registered channel configured (each pointed at its fake, nothing is sent): the preview
// panel shows each channel as the channel describes itself, the status page as its real card and page.
describe('the compose preview of every registered channel in Chromium', () => {
  let h: TestHerald;
  let base: string;
  let browser: Browser;
  let page: Page;
  const fixtures: ContractFixture[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const name of Object.keys(registry) as Array<keyof typeof contractFixtures>)
      fixtures.push(await contractFixtures[name]());
    h = await startTestHerald({ channels: fixtures.map((f) => f.definition), workers: false });
    await addUser(h, 'commander', 'commander');
    await h.api('POST', '/api/v1/components', { name: 'Checkout API', group: 'Payments' });
    await h.api('POST', '/api/v1/components', { name: 'Dashboard', group: 'Web' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/console/login`);
    await page.getByLabel('Username').fill('commander');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    for (const fixture of fixtures) await fixture.close();
  });

  it('previews every channel, the status page as its card and page, with no standing warning', async () => {
    await page.goto(`${base}/console/incidents/new`);
    // The compose page as it opens: nothing written yet, so the preview says what to write, renders no empty
    // post and raises no warning.
    expect(await page.locator('#preview [data-testid="preview-blank"]').textContent()).toBe(
      'Write a title and message to see how each channel shows it.',
    );
    expect(await page.locator('#preview article.channel, #preview .warnings').count()).toBe(0);
    await page.getByLabel('Title').fill('Card payments failing');
    await page.getByLabel('Impact').selectOption('major');
    await page.getByLabel('Checkout API (Payments)').selectOption('major_outage');
    await page
      .getByLabel('Message (Markdown)')
      .fill(
        'Some card payments fail at checkout with **error 502**. We are rolling back the latest deploy and will update within 30 minutes.',
      );
    await expect
      .poll(() => page.locator('#preview [data-channel="twitter"] pre.msg').textContent())
      .toContain('rolling back');

    const names = Object.keys(registry);
    for (const name of names) {
      const article = page.locator(`#preview [data-channel="${name}"]`);
      expect(await article.locator('.alert').count(), name).toBe(0);
      expect(await article.locator('pre.msg, div.msg, iframe.frame').count(), name).toBeGreaterThan(0);
    }
    expect(await page.locator('#preview .warnings').count()).toBe(0);

    const status = page.locator('#preview [data-channel="statuspage"]');
    const card = page.frameLocator('#preview [data-channel="statuspage"] iframe.frame >> nth=0');
    const incidentPage = page.frameLocator('#preview [data-channel="statuspage"] iframe.frame >> nth=1');
    await expect.poll(() => card.locator('article.card h3').textContent()).toBe('Card payments failing');
    await expect.poll(() => incidentPage.locator('h1').textContent()).toBe('Card payments failing');
    expect(await incidentPage.locator('.msg strong').textContent()).toBe('error 502');
    // The site's stylesheet came inline: the card is drawn as the status page draws it.
    // A string expression: the test project has no DOM types.
    expect(await card.locator('article.card').evaluate('(e) => getComputedStyle(e).borderRadius')).not.toBe('0px');
    expect(await status.locator('h4').allTextContents()).toEqual(['Card on the status page', 'Incident page']);

    // What the commander sees: the page at each width, then each channel's part of the panel (scrolled into view
    // in the panel, which scrolls on its own beside the form on a wide screen).
    // The card's frame (sandboxed, no script: it cannot size itself) is as tall as the channel estimates for its
    // width: its last line shows, with little room left below it.
    const cardFrame = status.locator('iframe.frame').first();
    expect(await cardFrame.getAttribute('sandbox')).toBe('');
    expect(await cardFrame.getAttribute('data-heights')).toMatch(/^\d+:\d+( \d+:\d+)+$/);
    const frameUrl = (await cardFrame.getAttribute('src'))!;
    expect(await status.locator('a', { hasText: 'Open full size' }).first().getAttribute('href')).toBe(frameUrl);
    const framed = await page.request.get(`${base}${frameUrl}`);
    expect(framed.headers()['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
    expect(await framed.text()).not.toMatch(/<script/i);
    // Boxes in the console page's coordinates: the frame, the card in it, the card's last line.
    const fits = async () => {
      const fit = {} as Record<number, { frame: number; lastLine: number; below: number }>;
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await expect
          .poll(async () => {
            const frame = (await cardFrame.boundingBox())!;
            const cardBox = (await card.locator('article.card').boundingBox())!;
            const last = (await card.locator('article.card p.meta').last().boundingBox())!;
            const frameBottom = frame.y + frame.height - 1; // its border
            fit[width] = {
              frame: Math.round(frame.height),
              lastLine: Math.round(last.y + last.height - frame.y),
              below: Math.round(frameBottom - (cardBox.y + cardBox.height)),
            };
            // The last line shows whole, the card's bottom margin too, and less than three lines are left empty.
            return last.y + last.height <= frameBottom && fit[width]!.below >= 8 && fit[width]!.below < 72;
          })
          .toBe(true);
      }
      return fit;
    };
    // The incident page's frame likewise: its footer's last line shows whole, at the narrow and the wide width.
    const pageFrame = status.locator('iframe.frame').nth(1);
    expect(await pageFrame.getAttribute('data-heights')).toMatch(/^\d+:\d+( \d+:\d+)+$/);
    const pageFits = async (label: string) => {
      const fit = {} as Record<number, { frame: number; footerEnd: number }>;
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        // The console gives the frame the height the channel estimates for its width (its content box).
        await expect
          .poll(async () => {
            const frame = (await pageFrame.boundingBox())!;
            const pairs = (await pageFrame.getAttribute('data-heights'))!
              .split(' ')
              .map((p) => p.split(':').map(Number));
            const estimate = pairs.filter(([w], i) => i === 0 || w! <= frame.width - 2).at(-1)![1]!;
            return Math.round(frame.height) === estimate;
          })
          .toBe(true);
        // A viewport taller than the frame, so that all of it is drawn for the picture; then the footer's last line
        // is measured in the frame as drawn: it shows whole.
        await page.setViewportSize({ width, height: 1600 });
        await pageFrame.scrollIntoViewIfNeeded();
        await pageFrame.screenshot({ path: `${ARTIFACTS}/statuspage-incident-page-${label}-${width}.png` });
        const frame = (await pageFrame.boundingBox())!;
        const last = (await incidentPage.locator('footer p').last().boundingBox())!;
        fit[width] = { frame: Math.round(frame.height), footerEnd: Math.round(last.y + last.height - frame.y) };
        expect(last.y + last.height, `${label} at ${width}`).toBeLessThanOrEqual(frame.y + frame.height - 1);
      }
      return fit;
    };
    const short = await fits();
    const shortPage = await pageFits('short');
    // A longer update, with a list, a heading and a link: the estimate follows the text.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page
      .getByLabel('Message (Markdown)')
      .fill(
        'Some card payments fail at checkout with **error 502**. We are rolling back the latest deploy.\n\n' +
          '## What we know\n\n- Visa and Mastercard payments in Europe are affected since 14:05 UTC\n' +
          '- Retries succeed for about half of the customers; see [the status of our payment provider](https://status.example.test/provider)\n\n' +
          'We will update within 30 minutes, or sooner when the rollback is done.',
      );
    await expect.poll(() => card.locator('article.card .msg li').count()).toBe(2);
    await expect.poll(() => incidentPage.locator('.msg li').count()).toBe(2);
    const long = await fits();
    const longPage = await pageFits('long');
    console.log(`card frame fit: short ${JSON.stringify(short)}, long ${JSON.stringify(long)}`);
    console.log(`incident page frame fit: short ${JSON.stringify(shortPage)}, long ${JSON.stringify(longPage)}`);
    // The frame follows the text: the longer update's page gets a taller frame at each width.
    for (const width of [1280, 390]) expect(longPage[width]!.frame).toBeGreaterThan(shortPage[width]!.frame);
    await page
      .getByLabel('Message (Markdown)')
      .fill(
        'Some card payments fail at checkout with **error 502**. We are rolling back the latest deploy and will update within 30 minutes.',
      );
    await expect.poll(() => card.locator('article.card .msg li').count()).toBe(0);

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate('window.scrollTo(0, 0)');
      // Nothing in the panel (a long link, a JSON body) makes the page wider than the screen.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${ARTIFACTS}/page-${width}.png` });
      await page.setViewportSize({ width, height: 1400 });
      for (const name of names) {
        const article = page.locator(`#preview [data-channel="${name}"]`);
        await article.scrollIntoViewIfNeeded();
        const box = (await article.boundingBox())!;
        await page.screenshot({
          path: `${ARTIFACTS}/${name}-${width}.png`,
          clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 1400 - box.y) },
        });
      }
    }
  }, 120_000);

  it('shows where Mattermost, Discourse and Teams cut a text (or a title) too long for them', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/console/incidents/new`);
    // A title as long as the form takes: with its date, past Discourse's topic title (255).
    await page.getByLabel('Title').fill(`Card payments failing in every region ${'決済 🔥 '.repeat(60)}`.slice(0, 255));
    const step = (i: number) =>
      `- Step ${i}: see [the runbook](https://docs.example.test/runbooks/payments?part=${i}) 決済サービス 🔥\n  - check ${i}.a`;
    // As long as the form takes (20,000): past Mattermost's 16,383 characters and, in UTF-8, Teams' 28 KB.
    const long = Array.from({ length: 400 }, (_, i) => step(i))
      .join('\n')
      .slice(0, 20_000);
    await page.getByLabel('Message (Markdown)').fill(long);
    const note = (name: string) => page.locator(`#preview [data-channel="${name}"] p.cut`);
    await expect.poll(() => note('mattermost').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    for (const name of ['mattermost', 'teams']) {
      const text = (await note(name).first().textContent()) ?? '';
      expect(text, name).toMatch(/^✂ Cut (at the end of a sentence|at the end of a clause|between words);/);
      expect(text, name).toMatch(/left out \([\d,]+ characters\)/);
    }
    // Discourse takes the whole text (32,000); its title is what is cut.
    expect(await note('discourse').allTextContents()).toEqual([
      expect.stringMatching(/^✂ The title was shortened to fit Discourse's topic title \(cut between words; left out/),
    ]);
    // The preview's text ends on a whole item, then the link.
    const post = (await page.locator('#preview [data-channel="mattermost"] .msg').first().textContent()) ?? '';
    expect(post).toMatch(/…\s*View incident\s*$/);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 1400 });
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      for (const name of ['mattermost', 'discourse', 'teams']) {
        const article = page.locator(`#preview [data-channel="${name}"]`);
        await note(name).first().scrollIntoViewIfNeeded();
        const box = (await note(name).first().boundingBox())!;
        const top = Math.max(0, box.y - 300);
        const articleBox = (await article.boundingBox())!;
        await page.screenshot({
          path: `${ARTIFACTS}/cut-${name}-${width}.png`,
          clip: { x: articleBox.x, y: top, width: articleBox.width, height: Math.min(500, 1400 - top) },
        });
      }
    }
  }, 120_000);
});

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingChannel } from '../helpers/recording-channel.js';
import { PASSWORD, addUser, lookalikeChannels, startHeraldWithTemplates } from '../integration/console-helpers.js';

const AXE = resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function axeViolations(page: Page): Promise<unknown[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
  ) as Promise<unknown[]>;
}

// bypassCSP only so axe-core can be injected; console.js runs as in production.
describe('console: template save and CSV import in Chromium (with console.js)', () => {
  let h: Awaited<ReturnType<typeof startHeraldWithTemplates>>;
  let base: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    h = await startHeraldWithTemplates({ channels: [recordingChannel('recorder').definition, ...lookalikeChannels()] });
    await addUser(h, 'commander', 'commander');
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/console/login`);
    await page.getByLabel('Username').fill('commander');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('previews with the keyboard-reachable Preview button and saves with Save', async () => {
    await page.goto(`${base}/console/templates`);
    await page.locator('summary', { hasText: 'twitter/head.txt.hbs' }).click();
    const source = page.getByLabel('Source of twitter/head.txt.hbs');
    await source.fill('{{#if incident.title}}broken');
    await expect.poll(() => page.locator('#out-twitter-head-txt-hbs').textContent()).toContain('Does not compile');
    await page.getByRole('button', { name: 'Save twitter/head.txt.hbs' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('twitter/head.txt.hbs does not compile');
    expect(await axeViolations(page)).toEqual([]);

    await page
      .getByLabel('Source of twitter/head.txt.hbs')
      .fill('[{{statusLabel update.status}}] {{incident.title}} (edited)');
    await page.getByRole('button', { name: 'Save twitter/head.txt.hbs' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved twitter/head.txt.hbs' }).waitFor();
    expect(readFileSync(join(h.templatesDir, 'twitter', 'head.txt.hbs'), 'utf8')).toBe(
      '[{{statusLabel update.status}}] {{incident.title}} (edited)',
    );
    await page.getByRole('button', { name: 'Restore previous version of twitter/head.txt.hbs' }).click();
    await page.getByRole('status').filter({ hasText: 'Restored the previous version' }).waitFor();
  }, 60_000);

  it('imports pasted CSV and shows the counts', async () => {
    await page.goto(`${base}/console/subscribers`);
    await page.getByLabel(/^CSV/).fill('email\nops@example.test\nnot-an-address\n');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').filter({ hasText: 'Imported 2 rows' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Line 3: email');
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);
});

import { resolve } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { PASSWORD, addUser } from '../integration/console-helpers.js';

const AXE = resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

async function axeViolations(page: Page): Promise<unknown[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
  ) as Promise<unknown[]>;
}

async function signIn(page: Page, base: string) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Username').fill('commander');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

// bypassCSP only so axe-core can be injected; console.js runs as in production.
describe('console: incident templates in Chromium', { timeout: 120_000 }, () => {
  let h: TestHerald;
  let base: string;
  let browser: Browser;
  let db: string;
  let api: string;

  beforeAll(async () => {
    h = await startTestHerald({ channels: [recordingChannel('recorder').definition], workers: false });
    await addUser(h, 'commander', 'commander');
    db = (await h.api('POST', '/api/v1/components', { name: 'Database', group: 'Platform' })).body.id;
    api = (await h.api('POST', '/api/v1/components', { name: 'Public API', group: 'Platform' })).body.id;
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('saves a template, picks it in compose (with script), publishes: the incident has its fields', async () => {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })
    ).newPage();
    page.setDefaultTimeout(20_000);
    await signIn(page, base);
    await page.getByRole('link', { name: 'Incident templates' }).click();
    await page.getByRole('heading', { name: 'Incident templates', level: 1 }).waitFor();

    await page.getByLabel(/^Template name/).fill('Database outage');
    await page.getByLabel('Incident title').fill('Database unavailable');
    await page.getByLabel('Initial status').selectOption('identified');
    await page.getByLabel('Impact').selectOption('major');
    await page.getByLabel('Database').selectOption('major_outage');
    await page.getByLabel('Message (Markdown)').fill('We are looking into **database** errors.');
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('status').filter({ hasText: "Template 'Database outage' saved." }).waitFor();
    expect(await page.locator('.template-list').textContent()).toContain('Database unavailable');
    expect(await axeViolations(page)).toEqual([]);

    // The same name again, in another case: refused, the form keeps what was typed.
    await page.getByLabel(/^Template name/).fill('database OUTAGE');
    await page.getByLabel('Incident title').fill('Other');
    await page.getByLabel('Message (Markdown)').fill('m');
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    expect(await page.getByLabel('Incident title').inputValue()).toBe('Other');
    expect((await h.api('GET', '/api/v1/incident-templates')).body).toHaveLength(1);

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Open incident' }).click();
    await page.getByLabel('Start from a template').selectOption({ label: 'Database outage' });
    // console.js submits the picker on change: the form comes back filled.
    await page.waitForURL(/\/console\/incidents\/new\?template=/);
    expect(await page.getByLabel('Title').inputValue()).toBe('Database unavailable');
    expect(await page.getByLabel('Message (Markdown)').inputValue()).toBe('We are looking into **database** errors.');
    expect(await page.getByLabel('Status', { exact: true }).inputValue()).toBe('identified');
    expect(await page.getByLabel('Impact').inputValue()).toBe('major');
    expect(await page.getByLabel('Database').inputValue()).toBe('major_outage');
    expect(await page.getByLabel('Public API').inputValue()).toBe('');
    expect(await axeViolations(page)).toEqual([]);

    // An edit before publishing wins over the template.
    await page.getByLabel('Public API').selectOption('degraded_performance');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.waitForURL(/\/console\/updates\//);
    const [incident] = (await h.api('GET', '/api/v1/incidents?state=all')).body;
    expect(incident).toMatchObject({ title: 'Database unavailable', status: 'identified', impact: 'major' });
    const full = (await h.api('GET', `/api/v1/incidents/${incident.id}`)).body;
    expect(full.updates[0].message).toBe('We are looking into **database** errors.');
    expect(Object.fromEntries(full.components.map((c: { id: string; status: string }) => [c.id, c.status]))).toEqual({
      [db]: 'major_outage',
      [api]: 'degraded_performance',
    });
  });

  it('without JavaScript: the picker button fills the form; the template is edited and deleted', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await signIn(page, base);
    await page.goto(`${base}/console/incidents/new`);
    await page.getByLabel('Start from a template').selectOption({ label: 'Database outage' });
    await page.getByRole('button', { name: 'Fill the form' }).click();
    await page.waitForURL(/template=/);
    expect(await page.getByLabel('Title').inputValue()).toBe('Database unavailable');
    expect(await page.getByLabel('Database').inputValue()).toBe('major_outage');

    const [template] = (await h.api('GET', '/api/v1/incident-templates')).body;
    await page.goto(`${base}/console/incidents/new?template=nope`);
    expect(await page.getByRole('alert').textContent()).toContain("There is no incident template 'nope'");

    await page.goto(`${base}/console/incident-templates/${template.id}`);
    await page.getByLabel('Incident title').fill('Database down');
    await page.getByLabel('Impact').selectOption('');
    await page.getByLabel('Database').selectOption('');
    await page.getByLabel('Public API').selectOption('partial_outage');
    await page.getByRole('button', { name: 'Save Database outage' }).click();
    await page.getByRole('heading', { name: 'Incident templates', level: 1 }).waitFor();
    const edited = (await h.api('GET', `/api/v1/incident-templates/${template.id}`)).body;
    expect(edited).toMatchObject({ title: 'Database down', impact: null, status: 'identified' });
    expect(edited.components).toEqual([{ id: api, name: 'Public API', status: 'partial_outage' }]);

    // A blank title is refused on the page and changes nothing.
    await page.goto(`${base}/console/incident-templates/${template.id}`);
    await page.getByLabel('Incident title').fill(' ');
    await page.getByRole('button', { name: 'Save Database outage' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('title');
    expect((await h.api('GET', `/api/v1/incident-templates/${template.id}`)).body.title).toBe('Database down');

    await page.getByRole('button', { name: 'Delete Database outage' }).click();
    await page.getByRole('status').filter({ hasText: "Template 'Database outage' deleted." }).waitFor();
    expect((await h.api('GET', '/api/v1/incident-templates')).body).toEqual([]);
    await context.close();
  });
});

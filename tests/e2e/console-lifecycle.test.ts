import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { PASSWORD, addUser } from '../integration/console-helpers.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

describe('console: components and maintenances through their whole life, in Chromium', () => {
  let h: TestHerald;
  let base: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    h = await startTestHerald({ channels: [recordingChannel('recorder').definition], workers: false });
    await addUser(h, 'commander', 'commander');
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
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const names = async () =>
    (await h.api('GET', '/api/v1/components')).body.map((c: { name: string; group: string | null }) => c.name);

  it('adds, refuses a duplicate, reorders within a group, edits and deletes components', async () => {
    await page.goto(`${base}/console/components`);
    for (const name of ['API', 'Website']) {
      await page.locator('#new-name').fill(name);
      await page.locator('#new-group').fill('Core');
      await page.getByRole('button', { name: 'Add component' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Component '${name}' added.` })
        .waitFor();
    }
    await page.locator('#new-name').fill('api');
    await page.locator('#new-group').fill('Core');
    await page.getByRole('button', { name: 'Add component' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/already exists in group 'Core'/);
    expect(await names()).toEqual(['API', 'Website']);

    await page.getByRole('button', { name: 'Move Website up' }).click();
    await page.getByRole('button', { name: 'Move Website down' }).waitFor();
    expect(await names()).toEqual(['Website', 'API']);
    expect(await page.getByRole('button', { name: 'Move Website up' }).isDisabled()).toBe(true);

    await page.locator('.catalog-row', { hasText: 'API' }).getByText('Edit').click();
    await page.locator('.catalog-row', { hasText: 'API' }).getByLabel('Name').fill('Public API');
    await page.getByRole('button', { name: 'Save API' }).click();
    await page.getByText('Public API').first().waitFor();
    expect(await names()).toEqual(['Website', 'Public API']);

    await page.locator('.catalog-row', { hasText: 'Website' }).getByText('Edit').click();
    await page.getByRole('button', { name: 'Delete Website' }).click();
    await page.getByRole('status').filter({ hasText: "Component 'Website' deleted." }).waitFor();
    expect(await names()).toEqual(['Public API']);
  }, 60_000);

  it('schedules, updates and cancels a maintenance from its page; a window in the past is refused', async () => {
    const [component] = (await h.api('GET', '/api/v1/components')).body;
    const local = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 16);
    await page.goto(`${base}/console/maintenances`);
    await page.getByLabel('Title').fill('Queue upgrade');
    await page.getByLabel('Message (Markdown)').fill('Writes pause for **5 minutes**.');
    await page.getByLabel('Starts (UTC)').fill('2020-01-01T10:00');
    await page.getByLabel('Ends (UTC)').fill('2020-01-01T11:00');
    await page.getByLabel(component.name).check();
    await page.getByRole('button', { name: 'Schedule and announce' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(
      /scheduledFor: is in the past.*scheduledUntil: is in the past/,
    );
    expect((await h.api('GET', '/api/v1/maintenances')).body).toEqual([]);

    await page.getByLabel('Starts (UTC)').fill(local(120));
    await page.getByLabel('Ends (UTC)').fill(local(180));
    await page.getByLabel(component.name).check();
    await page.getByRole('button', { name: 'Schedule and announce' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: "Maintenance 'Queue upgrade' scheduled and announced." })
      .waitFor();
    // The announcement's Markdown is rendered, not shown raw.
    expect(await page.locator('.m-msg strong', { hasText: '5 minutes' }).count()).toBe(1);

    await page.getByText('Post an update').click();
    await page.getByLabel('Message (Markdown)').first().fill('Backups done.');
    await page.getByRole('button', { name: 'Send update on Queue upgrade' }).click();
    await page.getByRole('status').filter({ hasText: "Update posted on 'Queue upgrade'." }).waitFor();

    await page.getByRole('button', { name: 'Cancel Queue upgrade' }).click();
    await page.getByRole('status').filter({ hasText: 'cancelled' }).waitFor();
    const [m] = (await h.api('GET', '/api/v1/maintenances')).body;
    expect(m.cancelledAt).not.toBeNull();
    expect(m.updates.map((u: { status: string }) => u.status)).toEqual(['cancelled', 'scheduled', 'scheduled']);
    expect(await page.locator('#m-past-h ~ .m-card', { hasText: 'Queue upgrade' }).count()).toBe(1);
  }, 60_000);
});

// Screenshots of every console page at 1280 and 390 CSS px, into docs/img/console-<page>-<width>.png.
// Needs Redis (REDIS_URL or 127.0.0.1:6379) and Chromium (CHROMIUM or /usr/bin/chromium):
//   node --import tsx scripts/console-screenshots.ts
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { runMaintenanceClock } from '../src/pipeline/maintenance.js';
import { startTestHerald } from '../tests/helpers/herald.js';
import { recordingChannel } from '../tests/helpers/recording-channel.js';
import { PASSWORD, addUser, lookalikeChannels } from '../tests/integration/console-helpers.js';

const OUT = resolve(import.meta.dirname, '../docs/img');
const WIDTHS = [1280, 390];
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

const h = await startTestHerald({
  channels: [recordingChannel('slack').definition, ...lookalikeChannels()],
  workers: true,
  env: { HERALD_MAINTENANCE_CHECK_SECONDS: '0.5' },
});
try {
  await addUser(h, 'alice', 'commander');
  const post = async (url: string, body: unknown) => (await h.api('POST', url, body)).body;
  const api = await post('/api/v1/components', { name: 'Public API', group: 'Platform' });
  const db = await post('/api/v1/components', { name: 'Primary database', group: 'Platform' });
  await post('/api/v1/components', { name: 'Website', group: 'Web' });
  await post('/api/v1/components', { name: 'Checkout', group: 'Web' });
  await post('/api/v1/subscribers', { email: 'ops@example.test', confirmed: true });
  const opened = await post('/api/v1/incidents', {
    title: 'Elevated API error rates',
    message: 'We are seeing **5xx errors** on about 8% of API requests. [Details](https://example.test/x)',
    impact: 'major',
    components: { [api.id]: 'partial_outage' },
  });
  await post(`/api/v1/incidents/${opened.incident.id}/updates`, {
    message: 'Identified: a bad deploy of the auth service. Rolling back.',
    status: 'identified',
  });
  const resolved = await post('/api/v1/incidents', { title: 'Slow dashboard', message: 'Looking.' });
  await post(`/api/v1/incidents/${resolved.incident.id}/updates`, { message: 'Fixed.', status: 'resolved' });
  await post('/api/v1/maintenances', {
    title: 'Database upgrade to PostgreSQL 16',
    message: 'Writes pause for up to **5 minutes**.',
    scheduledFor: inMinutes(0.02),
    scheduledUntil: inMinutes(90),
    components: [db.id],
  });
  await post('/api/v1/maintenances', {
    title: 'Network maintenance',
    message: 'Our provider replaces a core switch.',
    scheduledFor: inMinutes(2 * 24 * 60),
    scheduledUntil: inMinutes(2 * 24 * 60 + 60),
    components: [api.id],
  });
  const template = await post('/api/v1/incident-templates', {
    name: 'Database outage',
    title: 'Primary database unavailable',
    message:
      'We are investigating errors from the **primary database**. Writes may fail; reads are served from replicas.',
    impact: 'major',
    status: 'investigating',
    components: { [db.id]: 'major_outage', [api.id]: 'degraded_performance' },
  });
  await post('/api/v1/incident-templates', {
    name: 'Checkout slow',
    title: 'Slow checkout',
    message: 'Some customers see slow checkout pages. We are looking into it.',
    impact: 'minor',
    components: {},
  });
  await new Promise((r) => setTimeout(r, 2_000));
  await runMaintenanceClock(h.herald);
  const deliveries = await h.api('GET', `/api/v1/incidents/${opened.incident.id}`);
  const updateId = deliveries.body.updates[0].id as string;
  await new Promise((r) => setTimeout(r, 2_000));

  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  const pages: Array<[string, string]> = [
    ['login', '/console/login'],
    ['dashboard', '/console/'],
    ['incidents', '/console/incidents'],
    ['incident', `/console/incidents/${opened.incident.id}`],
    ['compose', '/console/incidents/new'],
    ['update', `/console/incidents/${opened.incident.id}/update`],
    ['delivery', `/console/updates/${updateId}`],
    ['postmortem', `/console/incidents/${resolved.incident.id}/postmortem`],
    ['maintenances', '/console/maintenances'],
    ['components', '/console/components'],
    ['incident-templates', '/console/incident-templates'],
    ['incident-template', `/console/incident-templates/${template.id}`],
    ['compose-from-template', `/console/incidents/new?template=${template.id}`],
    ['subscribers', '/console/subscribers'],
    ['templates', '/console/templates'],
  ];
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    for (const width of WIDTHS) {
      const page = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
      for (const [name, path] of pages) {
        if (name === 'dashboard') {
          await page.goto(`${base}/console/login`);
          await page.getByLabel('Username').fill('alice');
          await page.getByLabel('Password').fill(PASSWORD);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.waitForURL(`${base}/console/`);
        }
        const response = await page.goto(`${base}${path}`);
        if (!response || response.status() >= 400) throw new Error(`${path} answered ${response?.status()}`);
        await page.waitForTimeout(300);
        const file = `${OUT}/console-${name}-${width}.png`;
        await page.screenshot({ path: file, fullPage: true });
        process.stdout.write(`${file}\n`);
      }
    }
  } finally {
    await browser.close();
  }
} finally {
  await h.close();
}

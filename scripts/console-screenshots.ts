// Screenshots of every console page at 1280 and 390 CSS px, into docs/img/console-<page>-<width>.png.
// Herald runs with real channels (status page, Slack, Teams, X, email, SMS, webhooks), each pointed at its local
// protocol fake from tests/fakes, so the previews are the channels' real renders and the deliveries really succeed.
// Needs Redis (REDIS_URL or 127.0.0.1:6379) and Chromium (CHROMIUM or /usr/bin/chromium):
//   node --import tsx scripts/console-screenshots.ts
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type Page, chromium } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { email } from '../src/channels/email/index.js';
import { slack } from '../src/channels/slack/index.js';
import { sms } from '../src/channels/sms/index.js';
import { statuspage } from '../src/channels/statuspage/index.js';
import { teams } from '../src/channels/teams/index.js';
import { webhooks } from '../src/channels/webhooks/index.js';
import { runMaintenanceClock } from '../src/pipeline/maintenance-clock.js';
import { SLACK_FAKE_CHANNEL, startSlackFake } from '../tests/fakes/slack-fake.js';
import { startSmtpSink } from '../tests/fakes/smtp-sink.js';
import { startTwilioFake } from '../tests/fakes/twilio-fake.js';
import { startTeamsFake } from '../tests/fakes/webhook-chat-fakes.js';
import { tempDir } from '../tests/helpers/env.js';
import { deliveredEverywhere, startTestHerald } from '../tests/helpers/herald.js';
import { socialSetup } from '../tests/helpers/social-channels.js';
import { PASSWORD, addUser } from '../tests/integration/console-helpers.js';

const OUT = resolve(import.meta.dirname, '../docs/img');
const WIDTHS = [1280, 390];
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
// The fakes answer at once; the providers' real rate limits would only add waiting.
const FAST = { max: 1000, perMs: 1000 };
/** The outermost elements reaching past the window's right edge (a string expression: no DOM types here). */
const WIDER_THAN_WINDOW = `(() => {
  if (document.documentElement.scrollWidth <= innerWidth) return '';
  const past = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1);
  const outer = past.filter((e) => !past.includes(e.parentElement));
  return outer.slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px').join(', ');
})()`;

const [slackFake, teamsFake, twitter, smtp, twilio] = await Promise.all([
  startSlackFake(),
  startTeamsFake(),
  socialSetup('twitter', { rate: FAST }),
  startSmtpSink(),
  startTwilioFake(),
]);
const hook = await startHookEndpoint();
const h = await startTestHerald({
  channels: [
    statuspage({ targets: [{ type: 'directory', name: 'site', path: join(tempDir('herald-shots-site-'), 'www') }] }),
    slack({ token: slackFake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: slackFake.apiUrl, rate: FAST }),
    teams({ webhookUrl: teamsFake.webhookUrl, rate: FAST }),
    twitter.definition,
    email({ smtpUrl: smtp.url, from: 'Acme Cloud Status <status@example.test>' }),
    sms({
      apiUrl: twilio.url,
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from: '+15005550006',
      rate: FAST,
    }),
    webhooks({ allowPrivate: true }),
  ],
  site: { name: 'Acme Cloud' },
  workers: true,
  env: { HERALD_MAINTENANCE_CHECK_SECONDS: '0.5', HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
});
try {
  await addUser(h, 'alice', 'commander');
  const post = async (url: string, body: unknown) => (await h.api('POST', url, body)).body;
  const api = await post('/api/v1/components', { name: 'Public API', group: 'Platform' });
  const db = await post('/api/v1/components', { name: 'Primary database', group: 'Platform' });
  await post('/api/v1/components', { name: 'Website', group: 'Web' });
  await post('/api/v1/components', { name: 'Checkout', group: 'Web' });
  await post('/api/v1/subscribers', { email: 'ops@example.test', confirmed: true });
  await post('/api/v1/subscribers', { phone: '+14155550100', confirmed: true });
  hook.secret = (await post('/api/v1/subscribers', { webhookUrl: hook.url, confirmed: true })).secret;
  const opened = await post('/api/v1/incidents', {
    title: 'Elevated API error rates',
    message: 'We are seeing **5xx errors** on about 8% of API requests. [Details](https://example.test/x)',
    impact: 'major',
    components: { [api.id]: 'partial_outage' },
  });
  await post(`/api/v1/incidents/${opened.incident.id}/updates`, {
    message:
      'The cause is a bad deploy of the auth service. We are rolling it back; errors should fall within 15 minutes.',
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
  const shown = await h.api('GET', `/api/v1/incidents/${opened.incident.id}`);
  const updateId = shown.body.updates[0].id as string;
  // Every channel delivered (a failure throws, naming the channel): the delivery page shows real deliveries.
  for (const update of shown.body.updates as Array<{ id: string }>) await deliveredEverywhere(h, update.id);
  if (hook.refused) throw new Error(`the webhook endpoint refused ${hook.refused} signatures`);
  await new Promise((r) => setTimeout(r, 1_000));

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
        // Nothing may make the page wider than the window: name what does, if anything.
        const wide = await page.evaluate(WIDER_THAN_WINDOW);
        if (wide) process.stdout.write(`WARNING ${name} at ${width} px is wider than the window: ${wide}\n`);
        // A window as tall as the page: Chromium paints the previews' sandboxed frames only inside the window.
        await fitWindow(page, width, 'document.documentElement.scrollHeight');
        const file = `${OUT}/console-${name}-${width}.png`;
        await page.screenshot({ path: file, fullPage: true });
        process.stdout.write(`${file}\n`);
        if (name === 'compose-from-template') {
          // The whole preview panel (beside the form it scrolls on its own): every channel's real render.
          await fitWindow(page, width, "document.querySelector('#preview').scrollHeight + 400");
          const panel = `${OUT}/console-compose-preview-${width}.png`;
          await page.locator('#preview').scrollIntoViewIfNeeded();
          await page.waitForTimeout(500);
          await page.locator('#preview').screenshot({ path: panel });
          process.stdout.write(`${panel}\n`);
        }
        await page.setViewportSize({ width, height: 900 });
      }
    }
  } finally {
    await browser.close();
  }
} finally {
  await h.close();
  await Promise.all([slackFake, teamsFake, twitter.fake, smtp, twilio, hook].map((f) => f.close()));
}

/** Grows the window to the height the expression gives (until it holds still) and lets the frames paint. */
async function fitWindow(page: Page, width: number, heightOf: string) {
  for (let i = 0; i < 4; i++) {
    const height = Math.ceil(Number(await page.evaluate(heightOf)));
    if (height === page.viewportSize()?.height) break;
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(300);
  }
  await page.waitForTimeout(500);
}

/** A subscriber's endpoint: checks each delivery's Standard Webhooks signature with the secret Herald gave it. */
async function startHookEndpoint() {
  const state = { secret: '', refused: 0, url: '', close: () => new Promise<void>((r) => server.close(() => r())) };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      try {
        new Webhook(state.secret).verify(Buffer.concat(chunks).toString('utf8'), {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        });
        response.writeHead(204).end();
      } catch {
        state.refused++;
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status-hook`;
  return state;
}

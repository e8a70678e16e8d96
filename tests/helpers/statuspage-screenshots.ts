// Screenshots of the status page for docs/statuspage.md: index, an incident, a history month and the subscribe
// page, then Herald's answers to the subscribe form (the form again with a problem, sent, a link not valid) and the
// subscribe page of a Herald without email, SMS or webhooks, at 1280 and 390 px, light and dark, from a demo site
// seeded like a real one.
// node --import tsx tests/helpers/statuspage-screenshots.ts [outDir]
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { chromium } from 'playwright-core';
import formbody from '@fastify/formbody';
import { email as emailChannel } from '../../src/channels/email/index.js';
import { sms } from '../../src/channels/sms/index.js';
import { webhooks as webhooksChannel } from '../../src/channels/webhooks/index.js';
import type { ChannelRuntime } from '../../src/channels/channel.js';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import { subscribeRoutes } from '../../src/http/routes/subscribe.js';
import { Templates } from '../../src/render/templates.js';
import { createLogger } from '../../src/runtime/logger.js';
import { statusPageRoutes } from '../../src/statuspage/routes.js';
import { loadBrand } from '../../src/statuspage/brand.js';
import { openStore } from '../../src/store/store.js';
import { acmeSite, seedComponents, seedIncident, seedMaintenance } from '../unit/statuspage-seed.js';
import { freePort, tempDir } from './env.js';

const NOW = new Date('2026-05-20T12:00:00.000Z');
const OUT = resolve(process.argv[2] ?? 'docs/img');
const DAY = 86_400_000;
const ago = (days: number, hours = 0) => new Date(NOW.getTime() - days * DAY - hours * 3_600_000).toISOString();

export const POSTMORTEM = `## What happened

Between 09:12 and 09:58 UTC, about 30 % of API requests failed with HTTP 503.

## Why

A configuration change lowered the connection limit of the primary database pool:

- the API opened more connections than the new limit allowed
- requests waited for a connection and timed out

### Follow-up

1. Validate pool limits in CI
2. Alert on pool saturation
`;

async function main() {
  const root = tempDir('herald-shots-');
  const store = await openStore(join(root, 'herald.db'));
  const names = [
    'REST API',
    'GraphQL API',
    'Webhooks',
    'Dashboard',
    'Login',
    'Email delivery',
    'SMS delivery',
    'Search',
  ];
  const groups = ['API', 'API', 'API', 'Web app', 'Web app', 'Notifications', 'Notifications', null];
  const components = await seedComponents(store, names.length, { names: (i) => names[i]!, groups: 0, at: ago(200) });
  for (const [i, c] of components.entries())
    await store.db
      .updateTable('components')
      .set({ group_name: groups[i] ?? null, description: null })
      .where('id', '=', c.id)
      .execute();
  // Search is new: created three weeks ago.
  await store.db
    .updateTable('components')
    .set({ created_at: ago(21) })
    .where('id', '=', components[7]!.id)
    .execute();
  const [rest, graphql, webhooks, dashboard, , email] = components;
  await seedIncident(store, {
    title: 'Elevated API error rates',
    impact: 'major',
    startedAt: ago(3, 3),
    resolvedAt: ago(3, 2),
    status: 'postmortem',
    components: [
      { ...rest!, status: 'partial_outage' },
      { ...graphql!, status: 'degraded_performance' },
    ],
    messages: ['We are investigating elevated error rates on the API.', 'This incident has been resolved.'],
    postmortem: POSTMORTEM,
  });
  await seedIncident(store, {
    title: 'Delayed webhook deliveries',
    impact: 'minor',
    startedAt: ago(9, 5),
    resolvedAt: ago(9, 4),
    components: [{ ...webhooks!, status: 'degraded_performance' }],
    messages: ['Webhooks are delayed by up to 10 minutes.', 'Deliveries have caught up.'],
  });
  await seedIncident(store, {
    title: 'Dashboard unavailable',
    impact: 'critical',
    startedAt: ago(40, 6),
    resolvedAt: ago(40, 3),
    components: [{ ...dashboard!, status: 'major_outage' }],
    messages: ['The dashboard does not load.', 'Resolved.'],
  });
  await seedIncident(store, {
    title: 'Email delivery delayed for some recipients',
    impact: 'minor',
    startedAt: ago(0, 2),
    components: [{ ...email!, status: 'degraded_performance' }],
    messages: [
      `Some emails to **Outlook.com** addresses are delayed by up to 30 minutes.\n\n- Other providers are not affected\n- No email is lost`,
    ],
  });
  await store.db
    .updateTable('components')
    .set({ status: 'degraded_performance' })
    .where('id', '=', email!.id)
    .execute();
  await seedMaintenance(store, {
    title: 'Database upgrade',
    message: 'The dashboard is read-only during the upgrade.',
    status: 'scheduled',
    scheduledFor: new Date(NOW.getTime() + 2 * DAY).toISOString(),
    scheduledUntil: new Date(NOW.getTime() + 2 * DAY + 2 * 3_600_000).toISOString(),
    components: [dashboard!.id],
    at: ago(1),
  });
  // Herald's sign-up answers beside the site, as `herald serve` has them (the opt-in messages are not sent here).
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dir = join(root, 'site');
  await acmeSite(
    store,
    dir,
    { now: () => NOW },
    { appUrl: base, signupKinds: () => ['email', 'sms', 'webhook'] },
  ).rebuild({ full: true });
  // The same site from a Herald with no audience channel: nothing to sign up for.
  const bareDir = join(root, 'bare');
  await acmeSite(store, bareDir, { now: () => NOW }, { signupKinds: () => [] }).rebuild({ full: true });
  const postmortemId = (
    await store.db
      .selectFrom('incidents')
      .select('id')
      .where('title', '=', 'Elevated API error rates')
      .executeTakeFirstOrThrow()
  ).id;
  const logger = createLogger({ level: 'silent' });
  const templates = new Templates(TEMPLATES_DIR);
  const runtime: ChannelRuntime = {
    store,
    templates,
    logger,
    publicUrl: base,
    appUrl: base,
    siteName: 'Acme',
    secret: 'screenshots',
    dataDir: root,
  };
  const channels = [
    emailChannel({ smtpUrl: 'smtp://127.0.0.1:9', from: 'Acme Status <status@acme.test>' }),
    sms({ apiUrl: 'http://127.0.0.1:9', accountSid: 'AC0', authToken: 'x', from: '+15005550006' }),
    webhooksChannel({}),
  ].map((c) => c.create(runtime));
  const app = Fastify();
  await app.register(formbody);
  await app.register(subscribeRoutes, {
    herald: {
      env: { vars: {}, publicUrl: base, appUrl: base },
      siteName: 'Acme',
      brand: loadBrand(),
      channels,
      logger,
      templates,
      subscriberDeps: {
        db: store.db,
        secret: 'screenshots',
        appUrl: base,
        allowPrivateWebhooks: false,
        channels,
        logger,
        confirmations: { enqueue: async () => undefined },
      },
    },
  });
  await statusPageRoutes(app, { dir, appUrl: base });
  await app.listen({ host: '127.0.0.1', port });
  const bare = Fastify();
  await statusPageRoutes(bare, { dir: bareDir });
  const bareBase = await bare.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  mkdirSync(OUT, { recursive: true });
  const pages = {
    index: '/',
    incident: `/incidents/${postmortemId}.html`,
    history: '/history/2026-05.html',
    subscribe: '/subscribe.html',
  };
  for (const width of [1280, 390])
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      for (const [name, path] of Object.entries(pages)) {
        await page.goto(base + path);
        const file = join(OUT, `statuspage-${name}-${width}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(file);
      }
      const shot = async (name: string) => {
        const file = join(OUT, `statuspage-${name}-${width}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(file);
      };
      await page.goto(`${bareBase}/subscribe.html`);
      await shot('subscribe-none');
      // The form as a reader fills it: an address the browser takes and Herald does not, one whole group ticked.
      await page.goto(`${base}/subscribe.html`);
      await page.fill('#email', 'reader@acme');
      await page.getByLabel('All of API').check();
      await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('button[type=submit]')]);
      await shot('subscribe-problem');
      await page.fill('#email', 'reader@acme.test');
      await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('button[type=submit]')]);
      await shot('subscribe-sent');
      await page.goto(`${base}/subscribe/confirm?token=expired-or-cut`);
      await shot('link-not-valid');
      await context.close();
    }
  // The widget, framed at 400×150 by a page of another origin (embed.html's default frame-ancestors: any site).
  const host = Fastify();
  host.get('/', (_request, reply) =>
    reply
      .type('text/html')
      .send(
        `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width,initial-scale=1">` +
          `<meta name="color-scheme" content="light dark"><title>Example shop</title></head>` +
          `<body style="font:16px system-ui,sans-serif;margin:1.5rem;max-width:40rem"><h1>Example shop</h1>` +
          `<p>Orders, payments and the dashboard run on Acme. Their current status:</p>` +
          `<iframe title="Acme status" src="${base}/embed.html" width="400" height="150" style="border:0;max-width:100%"></iframe>` +
          `<p>Questions? Write to support.</p></body></html>`,
      ),
  );
  const hostUrl = (await host.listen({ host: '127.0.0.1', port: 0 })).replace('127.0.0.1', 'localhost');
  for (const width of [1280, 390])
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width, height: 360 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(hostUrl, { waitUntil: 'load' });
      const file = join(OUT, `statuspage-embed-${width}-${scheme}.png`);
      await page.screenshot({ path: file, clip: { x: 0, y: 0, width: Math.min(width, 720), height: 360 } });
      console.log(file);
      await context.close();
    }
  await host.close();
  await browser.close();
  await app.close();
  await bare.close();
  await store.close();
}

await main();

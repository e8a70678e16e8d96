// Raw HTML in a commander's Markdown never takes the rest of the message with it: an unclosed <style> or <script>
// (or <textarea>, <title>, a comment or CDATA that never closes) leaves the text after it readable on the status
// page and in the email (read in Chromium, as a reader's browser shows them), and in every text channel's message.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, UpdateContext } from '../../src/channels/channel.js';
import { bluesky } from '../../src/channels/bluesky/index.js';
import { renderDiscord, discordTexts } from '../../src/channels/discord/render.js';
import { renderDiscourse } from '../../src/channels/discourse/render.js';
import { email } from '../../src/channels/email/index.js';
import type { EmailMessage } from '../../src/channels/email/render.js';
import { mastodon } from '../../src/channels/mastodon/index.js';
import { renderMattermost, mattermostTexts } from '../../src/channels/mattermost/render.js';
import { renderSlack, slackWireText } from '../../src/channels/slack/render.js';
import { sms } from '../../src/channels/sms/index.js';
import { renderTeams, teamsTexts } from '../../src/channels/teams/render.js';
import { twitter } from '../../src/channels/twitter/index.js';
import { markdownToSafeHtml, markdownToText } from '../../src/render/markdown.js';
import { openStore, type Store } from '../../src/store/store.js';
import { sampleContext } from '../contract/channel-contract.js';
import { tempDir } from '../helpers/env.js';
import { channelRuntime } from '../helpers/social-channels.js';
import { acmeSite, seedIncident } from '../unit/statuspage-seed.js';

const CHROMIUM = '/usr/bin/chromium';

/** Each message, and what a reader must still see of it. */
const CASES: Array<[string, string[]]> = [
  ['Checkout is down <style> we are on it\n\nMore text', ['Checkout is down', 'we are on it', 'More text']],
  ['Checkout is down <script> we are on it\n\nMore text', ['Checkout is down', 'we are on it', 'More text']],
  ['Checkout is down <textarea> we are on it\n\nMore text', ['Checkout is down', 'we are on it', 'More text']],
  ['Checkout is down <title> we are on it\n\nMore text', ['Checkout is down', 'we are on it', 'More text']],
  ['<style>\nWe are on it\n\nMore **text**', ['We are on it', 'More text']],
  ['<script>\nWe are on it\n\nMore **text**', ['We are on it', 'More text']],
  ['<!-- draft\nWe are on it\n\nMore text', ['We are on it', 'More text']],
  ['<![CDATA[ paste\nWe are on it\n\nMore text', ['We are on it', 'More text']],
];

const runtime = channelRuntime();
const textRenderers: Array<[string, (ctx: UpdateContext) => string]> = [
  ['markdownToText', (ctx) => markdownToText(ctx.update.message)],
  ['slack', (ctx) => slackWireText(renderSlack(ctx))],
  ['discord', (ctx) => discordTexts(renderDiscord(ctx)).join('\n')],
  ['teams', (ctx) => teamsTexts(renderTeams(ctx)).join('\n')],
  ['mattermost', (ctx) => mattermostTexts(renderMattermost(ctx)).join('\n')],
  ['discourse', (ctx) => renderDiscourse(ctx).summaryRaw],
  ...(
    [
      [
        'x',
        twitter({ appKey: 'k', appSecret: 's', accessToken: 't', accessSecret: 'a', apiUrl: 'http://127.0.0.1:1/2/' }),
      ],
      ['mastodon', mastodon({ url: 'http://127.0.0.1:1', token: 't' })],
      ['bluesky', bluesky({ identifier: 'a.bsky.social', appPassword: 'p', service: 'http://127.0.0.1:1' })],
      [
        'sms',
        sms({ apiUrl: 'http://127.0.0.1:1', accountSid: 'AC1', authToken: 'x', from: '+15005550006', maxSegments: 10 }),
      ],
    ] as const
  ).map(([name, definition]): [string, (ctx: UpdateContext) => string] => {
    const channel = definition.create(runtime) as Channel<{ text: string }>;
    return [name, (ctx) => channel.render(ctx).text];
  }),
];

const emailChannel = email({ smtpUrl: 'smtp://127.0.0.1:1', from: 'Status <status@example.test>' }).create(
  runtime,
) as Channel<EmailMessage> & { close?(): Promise<void> };

afterAll(async () => {
  await emailChannel.close?.();
});

describe('raw HTML in a message: text channels keep the text after it', () => {
  for (const [name, render] of [
    ...textRenderers,
    ['email text part', (ctx: UpdateContext) => emailChannel.render(ctx).text] as const,
  ])
    it.each(CASES)(`${name}: %j`, (message, visible) => {
      const text = render(sampleContext({ message }));
      // Channels that render Markdown keep the emphasis as markup (**text**): a reader sees the words.
      const shown = text.replace(/\*\*/g, '');
      for (const part of visible) expect(shown).toContain(part);
      expect(text).not.toMatch(/<\/?(style|script|textarea|title)\b/i);
    });
});

describe('raw HTML in a message: sanitised HTML holds no raw-text element', () => {
  it.each(CASES)('%j', (message, visible) => {
    const html = markdownToSafeHtml(message);
    expect(html).not.toMatch(/<\/?(style|script|textarea|title)\b/i);
    for (const part of visible.filter((p) => !p.includes(' '))) expect(html).toContain(part);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('raw HTML in a message, read in Chromium', () => {
  let browser: Browser;
  let store: Store;
  let site: string;
  const incidents: string[] = [];

  beforeAll(async () => {
    const root = tempDir('herald-raw-html-');
    store = await openStore(join(root, 'herald.db'));
    site = join(root, 'site');
    for (const [i, [message]] of CASES.entries())
      incidents.push(
        await seedIncident(store, {
          title: `Case ${i}`,
          startedAt: `2026-05-20T1${i}:00:00.000Z`,
          messages: [message],
        }),
      );
    await acmeSite(store, site, { now: () => new Date('2026-05-21T00:00:00Z') }).rebuild({ full: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await store?.close();
  });

  async function visibleText(load: (page: import('playwright-core').Page) => Promise<unknown>): Promise<string> {
    const page = await browser.newPage({ javaScriptEnabled: false });
    try {
      await load(page);
      return await page.locator('body').innerText();
    } finally {
      await page.close();
    }
  }

  it.each(CASES.map((c, i) => [i, ...c] as const))('status page, case %i: %j', async (i, _message, visible) => {
    const file = pathToFileURL(join(site, 'incidents', `${incidents[i]}.html`)).href;
    const text = await visibleText((page) => page.goto(file));
    for (const part of visible) expect(text).toContain(part);
  });

  it.each(CASES)('email HTML part: %j', async (message, visible) => {
    const { html } = emailChannel.render(sampleContext({ message }));
    const text = await visibleText((page) => page.setContent(html));
    for (const part of visible) expect(text).toContain(part);
  });
});

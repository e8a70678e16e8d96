import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudienceChannel, Recipient, UpdateContext } from '../../src/channels/channel.js';
import { email } from '../../src/channels/email/index.js';
import type { EmailMessage } from '../../src/channels/email/render.js';
import { verifyToken } from '../../src/domain/link-tokens.js';
import { sampleContext } from '../contract/channel-contract.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { HOSTILE_CORPUS, WE_ARE } from '../helpers/hostile-corpus.js';
import { channelRuntime } from '../helpers/social-channels.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/email');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

const reader: Recipient = {
  subscriberId: '01jemailreader000000000000',
  kind: 'email',
  address: 'reader@example.test',
  secret: null,
};

// Emails sent through a real SMTP server and read back with mailparser, as a mail client gets them, then shown in
// Chromium at a phone's and a desktop client's width, in light and dark mode.
describe('email as recipients read it', () => {
  let sink: SmtpSink;
  let channel: AudienceChannel<EmailMessage>;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sink = await startSmtpSink({ keep: true });
    channel = email({
      smtpUrl: `smtp://127.0.0.1:${sink.port}?tls=off`,
      from: 'Example Status <status@example.test>',
    }).create(channelRuntime());
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await channel?.close?.();
    await sink?.close();
  });

  async function send(ctx: UpdateContext): Promise<ParsedMail> {
    const before = sink.messages.length;
    await channel.sendTo(channel.render(ctx), reader, {
      idempotencyKey: 'k',
      attempt: 1,
      signal: new AbortController().signal,
    });
    return simpleParser(sink.messages[before]!.raw);
  }

  const investigating = () =>
    sampleContext({
      title: 'Checkout errors',
      message: `${WE_ARE}\n\nWrite to support@example.com if an order is stuck.`,
    });
  const resolvedCtx = (): UpdateContext => {
    const ctx = sampleContext({
      title: 'Checkout errors',
      status: 'resolved',
      number: 3,
      message: 'Card payments work again since 05:02 UTC. Orders placed during the incident went through.',
    });
    return ctx;
  };

  it('the subject, preheader, badge, headers and plain text tell the story at a glance', async () => {
    const mail = await send(investigating());
    expect(mail.subject).toBe('[Investigating] Checkout errors');
    expect(mail.headers.get('x-auto-response-suppress')).toBe('OOF, AutoReply');
    const html = String(mail.html);
    // The preheader: the update's first sentence, first in the body, hidden.
    expect(html).toMatch(
      /<div style="display:none[^"]*">We’re seeing elevated error rates at checkout — about 20 % of card payments fail with “card declined”…/,
    );
    expect(html).toContain('background:#cf222e;color:#ffffff');
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    expect(html).toMatch(/Affected<\/h2>[\s\S]*Checkout API<\/td>[\s\S]*Major outage/);
    // Manage and unsubscribe links, each signed for this subscriber and its purpose.
    const manage =
      /href="(https:\/\/status\.example\.test\/subscribe\/manage\?token=[^"]+)"[^>]*>Manage subscription/.exec(
        html,
      )?.[1];
    expect(manage).toBeDefined();
    const token = new URL(manage!.replace(/&amp;/g, '&')).searchParams.get('token');
    expect(verifyToken('test-secret', 'manage', token)).toMatchObject({ ok: true, subscriberId: reader.subscriberId });
    const text = mail.text!;
    expect(text).toContain('Manage subscription: https://status.example.test/subscribe/manage?token=');
    // A mail address once, not "a@b (mailto:a@b)".
    expect(text).toContain('Write to support@example.com if an order is stuck.');
    expect(text).not.toContain('mailto:');
    expect(text).toContain('Affected:\n- Checkout API: Major outage');
  });

  it('after resolution: the status in the subject and what recovered, never "Affected: X (Operational)"', async () => {
    const mail = await send(resolvedCtx());
    expect(mail.subject).toBe('[Resolved] Checkout errors');
    const html = String(mail.html);
    expect(html).toContain('background:#1a7f37;color:#ffffff');
    expect(html).toMatch(/Recovered<\/h2>[\s\S]*Checkout API<\/td>[\s\S]*Operational/);
    expect(html).not.toMatch(/Affected/);
    expect(mail.text).toContain('Recovered:\n- Checkout API: Operational');
  });

  it('headings and lists survive; the text part is single-spaced', async () => {
    const headings = HOSTILE_CORPUS.find((e) => e.name === 'headings')!;
    const nested = HOSTILE_CORPUS.find((e) => e.name === 'nested lists')!;
    const h = await send(sampleContext({ title: headings.title, message: headings.message, status: 'postmortem' }));
    expect(String(h.html)).toContain('<h3>Summary</h3>');
    expect(String(h.html)).toContain('<h3>Root cause</h3>');
    expect(h.text).toContain('Follow-ups\n\n- Alert on certificate changes\n- Stage config rollouts');
    const n = await send(sampleContext({ title: nested.title, message: nested.message }));
    expect(n.text).toContain(
      '- API errors on:\n  - POST /orders\n  - GET /orders/:id\n- Dashboard loads slowly\n\n1. Rolled back\n2. Scaling the database',
    );
  });

  it('renders in Chromium at 600 and 375 px, light and dark, with nothing wider than the screen', async () => {
    const mails = {
      investigating: await send(investigating()),
      resolved: await send(resolvedCtx()),
    } as Record<string, ParsedMail>;
    // One at a time: each is read back as the sink's next message.
    for (const e of HOSTILE_CORPUS)
      mails[e.name.replace(/\s+/g, '-')] = await send(sampleContext({ title: e.title, message: e.message }));
    for (const scheme of ['light', 'dark'] as const) {
      for (const width of [600, 375]) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
        const page = await context.newPage();
        for (const [name, mail] of Object.entries(mails)) {
          await page.setContent(String(mail.html), { waitUntil: 'load' });
          const scrollWidth = await page.evaluate('document.documentElement.scrollWidth');
          expect(scrollWidth, `${name} at ${width} px, ${scheme}`).toBeLessThanOrEqual(width);
          const background = await page.evaluate(`getComputedStyle(document.querySelector('.card')).backgroundColor`);
          expect(background, `${name} ${scheme}`).toBe(scheme === 'dark' ? 'rgb(22, 27, 34)' : 'rgb(255, 255, 255)');
          if (['investigating', 'resolved', 'headings', 'long-link'].includes(name))
            await page.screenshot({ path: `${ARTIFACTS}/email-${name}-${width}-${scheme}.png`, fullPage: true });
        }
        await context.close();
      }
    }
  }, 120_000);
});

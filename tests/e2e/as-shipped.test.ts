// Herald as an operator runs it: `herald serve` from bin/herald.mjs with the shipped channels.config.ts, every
// channel switched on by the contract's environment variables (each pointed at its protocol fake), driven by the
// `herald` CLI. Twice: the quick start's single process on SQLite, and the production layout the README gives
// (`herald serve --no-workers` and `herald worker` processes on PostgreSQL). In-process tests load modules in another order than this process does; this one found Discourse's
// look-ups failing only here (see src/channels/http.ts).
import { type ChildProcess, execFile } from 'node:child_process';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscourseFake, startDiscourseFake } from '../fakes/discourse-fake.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { type TwilioFake, startTwilioFake } from '../fakes/twilio-fake.js';
import {
  type DiscordFake,
  type MattermostFake,
  type TeamsFake,
  startDiscordFake,
  startMattermostFake,
  startTeamsFake,
} from '../fakes/webhook-chat-fakes.js';
import { kill, startScript } from '../helpers/child.js';
import {
  REDIS_URL,
  dropRedisPrefix,
  eventually,
  freePort,
  freshDatabase,
  tempDir,
  uniqueName,
} from '../helpers/env.js';
import { SOCIAL_KINDS, type SocialSetup, socialSetup } from '../helpers/social-channels.js';

const BIN = resolve(import.meta.dirname, '../../bin/herald.mjs');
const TOKEN = 'as-shipped-token-0123456789';
const PUBLIC_URL = 'https://status.example.test';
const EVERY_CHANNEL = [
  'statuspage',
  'twitter',
  'mastodon',
  'bluesky',
  'slack',
  'teams',
  'discord',
  'mattermost',
  'discourse',
  'email',
  'sms',
  'webhooks',
  'log',
];

const LAYOUTS = [
  { layout: 'one herald serve on SQLite', database: 'sqlite', workers: 0 },
  {
    layout: 'herald serve --no-workers and two herald worker processes on PostgreSQL',
    database: 'postgres',
    workers: 2,
  },
] as const;

describe.each(LAYOUTS)(
  'Herald as shipped, $layout: every channel on by its variables, driven by the CLI',
  { timeout: 180_000 },
  ({ database, workers }) => {
    let social: SocialSetup[];
    let slack: SlackFake;
    let teams: TeamsFake;
    let discord: DiscordFake;
    let mattermost: MattermostFake;
    let discourse: DiscourseFake;
    let twilio: TwilioFake;
    let smtp: SmtpSink;
    const hooks: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
    const hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooks.push({ body, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    const processes: ChildProcess[] = [];
    let dropDatabase = async (): Promise<void> => undefined;
    let url = '';
    const prefix = uniqueName('hshipped');

    beforeAll(async () => {
      [social, slack, teams, discord, mattermost, discourse, twilio, smtp] = await Promise.all([
        Promise.all(SOCIAL_KINDS.map((kind) => socialSetup(kind))),
        startSlackFake(),
        startTeamsFake(),
        startDiscordFake(),
        startMattermostFake(),
        startDiscourseFake(),
        startTwilioFake(),
        startSmtpSink({ keep: true }),
      ]);
      await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const dataDir = tempDir('herald-shipped-');
      const db = await freshDatabase(database, dataDir);
      dropDatabase = db.drop;
      const env = {
        PORT: String(port),
        HERALD_DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        STATUS_PAGE_DIR: join(dataDir, 'site'),
        REDIS_URL,
        HERALD_QUEUE_PREFIX: prefix,
        HERALD_API_TOKEN: TOKEN,
        HERALD_PUBLIC_URL: PUBLIC_URL,
        HERALD_ALLOW_PRIVATE_WEBHOOKS: '1',
        ...Object.assign({}, ...social.map((s) => s.env)),
        SLACK_API_URL: slack.apiUrl,
        SLACK_TOKEN: slack.token,
        SLACK_CHANNEL: SLACK_FAKE_CHANNEL.id,
        TEAMS_WEBHOOK_URL: teams.webhookUrl,
        DISCORD_WEBHOOK_URL: discord.webhookUrl,
        MATTERMOST_WEBHOOK_URL: mattermost.webhookUrl,
        DISCOURSE_URL: discourse.url,
        DISCOURSE_API_KEY: discourse.apiKey,
        DISCOURSE_USERNAME: discourse.username,
        DISCOURSE_CATEGORY_ID: String(discourse.categoryId),
        TWILIO_API_URL: twilio.url,
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: '+15005550006',
        SMTP_URL: smtp.url,
        EMAIL_FROM: 'Status <status@example.test>',
      };
      processes.push(
        await startScript(
          'bin/herald.mjs',
          env,
          60_000,
          workers ? ['serve', '--no-workers'] : ['serve'],
          'herald serve is up',
        ),
      );
      for (let i = 0; i < workers; i++)
        processes.push(await startScript('bin/herald.mjs', env, 60_000, ['worker'], 'herald worker is up'));
    }, 150_000);

    afterAll(async () => {
      await Promise.all(processes.map((child) => kill(child, 'SIGTERM')));
      await dropDatabase();
      const fakes: Array<{ close(): Promise<void> } | undefined> = [
        ...(social ?? []).map((s) => s.fake),
        slack,
        teams,
        discord,
        mattermost,
        discourse,
        twilio,
        smtp,
      ];
      await Promise.all(fakes.map((f) => f?.close()));
      await new Promise((r) => hookServer.close(r));
      await dropRedisPrefix(prefix);
    });

    const herald = async (...args: string[]) => {
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args, '--json'], {
        env: { ...process.env, HERALD_URL: url, HERALD_API_TOKEN: TOKEN },
        timeout: 90_000,
      });
      return JSON.parse(stdout);
    };
    const settled = (result: { deliveries: { channels: Array<{ channel: string; state: string; error?: string }> } }) =>
      Object.fromEntries(
        result.deliveries.channels.map((c) => [c.channel, c.error ? `${c.state}: ${c.error}` : c.state]),
      );

    it('one incident, three updates: each lands once on every channel, threaded, with the incident link', async () => {
      const component = await herald('component', 'add', 'Checkout', '--group', 'Shop');
      const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/status-hook`;
      await herald('subscriber', 'add', '--email', 'ops@example.test', '--confirmed');
      await herald('subscriber', 'add', '--phone', '+14155550100', '--confirmed');
      const hook = await herald('subscriber', 'add', '--webhook', hookUrl, '--confirmed');
      expect(hook.secret).toMatch(/^whsec_/);

      const opened = await herald(
        'incident',
        'open',
        '--title',
        'Checkout errors',
        '--message',
        'We are **investigating** failed payments.',
        '--impact',
        'major',
        '--component',
        `${component.id}=major_outage`,
        '--wait',
      );
      const id = opened.incident.id;
      const link = `${PUBLIC_URL}/incidents/${id}.html`;
      const delivered = Object.fromEntries(EVERY_CHANNEL.map((c) => [c, 'delivered']));
      expect(settled(opened)).toEqual(delivered);
      expect(
        settled(
          await herald(
            'incident',
            'update',
            id,
            '--message',
            'Found a bad deploy; rolling back.',
            '--status',
            'identified',
            '--wait',
          ),
        ),
      ).toEqual(delivered);
      const resolved = await herald('incident', 'resolve', id, '--message', 'Payments work again.', '--wait');
      expect(settled(resolved)).toEqual(delivered);
      expect(resolved.incident.status).toBe('resolved');

      // Social: one thread per account, each post with the link.
      for (const { kind, fake } of social) {
        expect(fake.posts, kind).toHaveLength(3);
        expect(fake.posts[1]!.replyTo, kind).toBe(fake.posts[0]!.id);
        expect(fake.posts[2]!.replyTo, kind).toBe(fake.posts[1]!.id);
        for (const post of fake.posts) expect(post.text, kind).toContain(link);
      }

      // Slack: the incident's message, two replies in its thread (the resolution broadcast), the message kept current.
      const [first, ...replies] = slack.messages;
      expect(first!.thread_ts).toBeUndefined();
      expect(replies.map((r) => [r.thread_ts, r.reply_broadcast])).toEqual([
        [first!.ts, false],
        [first!.ts, true],
      ]);
      expect(first!.edits.at(-1)!.text).toMatch(/resolved/i);
      expect(slack.messages.map((m) => m.text).join('\n')).toContain(link);

      // Discourse: one topic, three posts in it, the first edited to the latest status.
      expect(discourse.topics).toHaveLength(1);
      expect(discourse.posts.map((p) => [p.topic_id, p.post_number])).toEqual(
        [1, 2, 3].map((n) => [discourse.topics[0]!.id, n]),
      );
      expect(discourse.posts[0]!.edits.at(-1)!.raw).toMatch(/resolved/i);

      // Teams, Discord, Mattermost: a message per update with the link; Discord's first kept current.
      expect(teams.cards.map((c) => c.text.includes(link))).toEqual([true, true, true]);
      expect(discord.messages).toHaveLength(3);
      expect(discord.textOf(discord.messages[0]!)).toMatch(/resolved/i);
      expect(mattermost.posts.map((p) => JSON.stringify(p).includes(link))).toEqual([true, true, true]);

      // Email: three messages to the subscriber, threaded, with one-click unsubscribe.
      const mails = await Promise.all(smtp.messages.map((m) => simpleParser(m.raw)));
      expect(mails.map((m) => (m.to as { text: string }).text)).toEqual([
        'ops@example.test',
        'ops@example.test',
        'ops@example.test',
      ]);
      expect(mails[1]!.inReplyTo).toBe(mails[0]!.messageId);
      expect(mails[2]!.inReplyTo).toBe(mails[0]!.messageId);
      expect(mails[0]!.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      );
      expect(mails[0]!.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toMatch(
        /^List-Unsubscribe:\s+<https:\/\/status\.example\.test\/unsubscribe\?token=/,
      );
      for (const mail of mails) expect(mail.text).toContain(link);

      // SMS and signed webhooks: one per update.
      expect(twilio.messages.map((m) => m.to)).toEqual(['+14155550100', '+14155550100', '+14155550100']);
      const events = hooks.map(
        (h) =>
          new Webhook(hook.secret).verify(h.body, h.headers as Record<string, string>) as {
            data: { update: { status: string } };
          },
      );
      expect(events.map((e) => e.data.update.status)).toEqual(['investigating', 'identified', 'resolved']);

      // The status page and its Statuspage-compatible JSON.
      const page = await fetch(`${url}/incidents/${id}.html`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Payments work again.');
      const json = (await (await fetch(`${url}/api/v2/incidents.json`)).json()) as {
        incidents: Array<{ id: string; status: string }>;
      };
      expect(json.incidents.find((i) => i.id === id)?.status).toBe('resolved');
    });

    it('a reader signs up on the public page, confirms by email, gets the next update, and leaves with one click', async () => {
      const mailsTo = async (address: string) =>
        await Promise.all(smtp.messages.filter((m) => m.to.includes(address)).map((m) => simpleParser(m.raw)));
      const local = (link: string) => link.replace(PUBLIC_URL, url);

      const signup = await fetch(`${url}/subscribe`, {
        method: 'POST',
        body: new URLSearchParams({ email: 'reader@example.test' }),
      });
      expect(signup.status).toBe(202);
      const [confirmation] = await eventually(async () => {
        const mails = await mailsTo('reader@example.test');
        return mails.length > 0 ? mails : undefined;
      });
      const confirmLink = /https:\/\/status\.example\.test\/subscribe\/confirm\?token=[\w.=-]+/.exec(
        confirmation!.text ?? '',
      )![0];
      expect((await fetch(local(confirmLink))).status).toBe(200);

      const opened = await herald(
        'incident',
        'open',
        '--title',
        'Login slow',
        '--message',
        'Sign-in takes a minute.',
        '--channels',
        'email',
        '--wait',
      );
      expect(opened.deliveries.channels).toEqual([
        expect.objectContaining({ channel: 'email', state: 'delivered', total: 2, delivered: 2 }),
      ]);
      // Per subscriber, from the CLI, a page at a time.
      const page1 = await herald('deliveries', opened.update.id, '--recipients', '--limit', '1');
      const page2 = await herald('deliveries', opened.update.id, '--recipients', '--limit', '1', '--after', page1.next);
      expect(page2.next).toBeUndefined();
      expect(
        [...page1.recipients, ...page2.recipients]
          .map((r: { address: string; state: string }) => `${r.address} ${r.state}`)
          .sort(),
      ).toEqual(['ops@example.test sent', 'reader@example.test sent']);
      const [, alert] = await mailsTo('reader@example.test');
      expect(alert!.subject).toContain('Login slow');
      const unsubscribe = /<(https:[^>]+)>/.exec(
        alert!.headerLines.find((h) => h.key === 'list-unsubscribe')!.line.replace(/\s+/g, ''),
      )![1]!;
      // RFC 8058 one-click, as a mail client sends it: no cookie, no page.
      const left = await fetch(local(unsubscribe), {
        method: 'POST',
        body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }),
      });
      expect(left.status).toBe(200);

      const resolved = await herald(
        'incident',
        'resolve',
        opened.incident.id,
        '--message',
        'Sign-in is fast again.',
        '--channels',
        'email',
        '--wait',
      );
      expect(resolved.deliveries.channels).toEqual([
        expect.objectContaining({ channel: 'email', state: 'delivered', total: 1, delivered: 1 }),
      ]);
      expect(await mailsTo('reader@example.test')).toHaveLength(2);
    });

    it('a second incident with the same title the same day gets a Discourse topic of its own', async () => {
      const before = discourse.topics.length;
      const opened = await herald(
        'incident',
        'open',
        '--title',
        'Checkout errors',
        '--message',
        'Errors again.',
        '--channels',
        'discourse',
      );
      // Not --wait: a failing look-up is retried for minutes; its first error is what this test should show.
      const delivery = await eventually(
        async () => {
          const [row] = (await herald('deliveries', opened.update.id)).channels as Array<{
            state: string;
            error?: string;
          }>;
          return row!.state !== 'pending' || row!.error ? row : undefined;
        },
        30_000,
        200,
      );
      expect(delivery).toMatchObject({ state: 'delivered' });
      expect(discourse.topics).toHaveLength(before + 1);
      expect(discourse.topics.at(-1)!.title).not.toBe(discourse.topics[0]!.title);
    });
  },
);

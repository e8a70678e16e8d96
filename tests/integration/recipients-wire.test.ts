import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, PreviewPart, SendTarget } from '../../src/channels/channel.js';
import { slack as slackChannel } from '../../src/channels/slack/index.js';
import { type ContractFixture, sampleContext } from '../contract/channel-contract.js';
import { contractFixtures } from '../contract/fixtures/index.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import { chatRuntime } from '../helpers/chat-runtime.js';
import { HOSTILE_CORPUS, WE_ARE } from '../helpers/hostile-corpus.js';

// Every posting channel's output read back from its protocol fake, for messages as commanders write them: the
// commander's formatting in the platform's own dialect, lists single-spaced, links once, cuts at boundaries.

type Dialect = 'slack' | 'markdown' | 'teams' | 'plain';
interface Wire {
  name: string;
  dialect: Dialect;
  channel: Channel;
  /** The last post's text as the platform received it (markup included). */
  last(): Promise<string>;
  close(): Promise<void>;
}

const target = (): SendTarget => ({
  idempotencyKey: `wire-${Math.random().toString(36).slice(2)}`,
  attempt: 1,
  signal: new AbortController().signal,
});

async function fromFixture(name: keyof typeof contractFixtures, dialect: Dialect): Promise<Wire> {
  const fixture = (await contractFixtures[name]()) as ContractFixture;
  return {
    name,
    dialect,
    channel: fixture.channel,
    last: async () => (await fixture.posts()).at(-1)!.text,
    close: () => fixture.close(),
  };
}

async function slackWire(): Promise<Wire> {
  const fake: SlackFake = await startSlackFake();
  const channel = slackChannel({ token: fake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: fake.apiUrl }).create(
    chatRuntime(),
  );
  return {
    name: 'slack',
    dialect: 'slack',
    channel,
    last: async () =>
      (fake.messages.at(-1)!.blocks as Array<{ text?: { text: string }; elements?: Array<{ text: string }> }>)
        .flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)])
        .join('\n'),
    close: () => fake.close(),
  };
}

const DANGLING_MARKER = /^\s*([-*+•◦]|\d+[.)])\s*(…|\.\.\.)?\s*$/m;
const HALF_LINK = /https?:\/\/[^\s)>|]*…/;

describe('each channel at the wire, for a hostile corpus', () => {
  const wires: Wire[] = [];
  beforeAll(async () => {
    wires.push(
      await slackWire(),
      await fromFixture('discord', 'markdown'),
      await fromFixture('mattermost', 'markdown'),
      await fromFixture('discourse', 'markdown'),
      await fromFixture('teams', 'teams'),
      await fromFixture('twitter', 'plain'),
      await fromFixture('mastodon', 'plain'),
      await fromFixture('bluesky', 'plain'),
    );
  }, 60_000);
  afterAll(async () => {
    for (const wire of wires) await wire.close();
  });

  let n = 0;
  async function post(wire: Wire, title: string, message: string) {
    // A title of its own each time: X refuses a post identical to an earlier one.
    const ctx = sampleContext({ title: `${title} (${++n})`, message });
    const rendered = wire.channel.render(ctx);
    await wire.channel.send(rendered, target());
    return { text: await wire.last(), ctx, preview: wire.channel.preview(rendered) };
  }

  const counts = (text: string, part: string) => text.split(part).length - 1;

  it.each(HOSTILE_CORPUS)('$name: the message start, once each link, no dangling marker', async (entry) => {
    for (const wire of wires) {
      const { text, ctx } = await post(wire, entry.title, entry.message);
      expect(text, wire.name).toContain(entry.start);
      // The incident's link once: Discord's title, Teams' button and Slack's context carry it, never the text too.
      expect(counts(text, ctx.incident.url), `${wire.name}: ${text}`).toBe(1);
      expect(text, wire.name).not.toMatch(DANGLING_MARKER);
      expect(text, wire.name).not.toMatch(HALF_LINK);
    }
  });

  it('formatting survives in each dialect; lists single-spaced and nested', async () => {
    const nested = HOSTILE_CORPUS.find((e) => e.name === 'nested lists')!;
    const expected: Record<Dialect, string[]> = {
      slack: [
        '• *API* errors on:\n    ◦ `POST /orders`\n    ◦ `GET /orders/:id`\n• Dashboard loads slowly',
        '1. Rolled back\n2. Scaling the database',
      ],
      markdown: [
        '- **API** errors on:\n  - `POST /orders`\n  - `GET /orders/:id`\n- Dashboard loads slowly',
        '1. Rolled back\n2. Scaling the database',
      ],
      teams: [
        '- **API** errors on:\n  - POST /orders\n  - GET /orders/:id\n- Dashboard loads slowly',
        '1. Rolled back\n2. Scaling the database',
      ],
      plain: [
        '- API errors on:\n  - POST /orders\n  - GET /orders/:id\n- Dashboard loads slowly',
        '1. Rolled back\n2. Scaling the database',
      ],
    };
    for (const wire of wires) {
      const { text } = await post(wire, nested.title, nested.message);
      for (const part of expected[wire.dialect]) expect(text, wire.name).toContain(part);
      if (wire.dialect === 'plain') expect(text, wire.name).not.toMatch(/\*\*|`/);
    }
  });

  it('links in the dialect: <url|label>, [label](url), label (url); headings kept', async () => {
    const links = HOSTILE_CORPUS.find((e) => e.name === 'long link')!;
    const headings = HOSTILE_CORPUS.find((e) => e.name === 'headings')!;
    const runbook =
      'https://docs.example.com/runbooks/search/latency/2026-11-29/mitigation?step=3&region=eu-west-1&ref=status';
    const link: Record<Dialect, string> = {
      slack: `<${runbook.replace(/&/g, '&amp;')}|the runbook>`,
      markdown: `[the runbook](${runbook})`,
      teams: `[the runbook](${runbook})`,
      plain: `the runbook (${runbook})`,
    };
    const heading: Record<Dialect, string[]> = {
      slack: ['*Summary*\n\nCheckout was down for *42 minutes*.', '*Root cause*'],
      markdown: ['# Summary\n\nCheckout was down for **42 minutes**.', '## Root cause', '### Follow-ups'],
      teams: ['**Summary**\n\nCheckout was down for **42 minutes**.', '**Root cause**'],
      plain: ['Summary\n\nCheckout was down for 42 minutes.', 'Root cause'],
    };
    for (const wire of wires) {
      const a = await post(wire, links.title, links.message);
      // Bluesky's 300 characters end before the runbook's link: it is left out whole, never cut.
      if (wire.name !== 'bluesky') expect(a.text, wire.name).toContain(link[wire.dialect]);
      expect(a.text, wire.name).not.toMatch(/\]\(https?:\/\/[^)]*$|<https?:\/\/[^>]*$/m);
      const h = await post(wire, headings.title, headings.message);
      for (const part of heading[wire.dialect]) expect(h.text, wire.name).toContain(part);
    }
  });

  it('cuts keep the meaning: X ends at a sentence, never "confirmed…"; the preview says where it cut', async () => {
    const title = 'Checkout errors for card payments in the EU and UK regions, since 04:00 UTC today';
    for (const wire of wires.filter((w) => w.dialect === 'plain')) {
      const { text, preview } = await post(wire, title, `${WE_ARE} ${WE_ARE}`);
      expect(text, wire.name).not.toMatch(/confirmed…|are…/);
      expect(text, wire.name).toMatch(/(\.|…) ?…?\n\nhttps:\/\/status\.example\.test\/incidents\//);
      const cut = (preview[0] as Extract<PreviewPart, { text: string }>).cut;
      expect(cut, wire.name).toMatch(/^Cut at the end of a (sentence|clause); left out \(\d+ characters\): “/);
    }
  });
});

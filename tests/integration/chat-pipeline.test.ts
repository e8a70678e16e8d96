import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatFleet, startChatFleet } from '../helpers/chat-fleet.js';
import { type TestHerald, deliveredEverywhere, startTestHerald } from '../helpers/herald.js';

const CHANNELS = ['discord', 'discourse', 'mattermost', 'slack', 'slack-community', 'teams'];

describe('chat channels through the real pipeline: open, identified, resolved', () => {
  let fleet: ChatFleet;
  let h: TestHerald;
  let incidentId: string;
  const updateIds: string[] = [];

  const settled = (updateId: string) =>
    deliveredEverywhere(h, updateId, { channels: CHANNELS.length, timeoutMs: 20_000 });

  beforeAll(async () => {
    fleet = await startChatFleet();
    h = await startTestHerald({ channels: fleet.definitions });
    const component = await h.api('POST', '/api/v1/components', { name: 'Checkout API' });
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'We are investigating **elevated errors** & timeouts. <!channel>',
      impact: 'major',
      components: { [component.body.id]: 'major_outage' },
    });
    expect(opened.status).toBe(201);
    incidentId = opened.body.incident.id;
    updateIds.push(opened.body.update.id);
    // Published back to back: the pipeline itself keeps each channel's replies in order.
    const identified = await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, {
      message: 'A bad deploy of the payment gateway.',
      status: 'identified',
    });
    const resolved = await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, {
      message: 'Rolled back; checkout is healthy again.',
      status: 'resolved',
    });
    updateIds.push(identified.body.update.id, resolved.body.update.id);
    for (const id of updateIds) await settled(id);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await fleet?.close();
  });

  const link = () => `https://status.example.test/incidents/${incidentId}.html`;

  it('records every channel, both Slack workspaces on their own', async () => {
    const res = await h.api('GET', `/api/v1/updates/${updateIds[0]}/deliveries`);
    expect(res.body.channels.map((c: { channel: string }) => c.channel).sort()).toEqual(CHANNELS);
  });

  it.each([['slack'], ['slackCommunity']] as const)(
    '%s: one message, updates in its thread, the first message edited to the current status',
    (key) => {
      const fake = fleet[key];
      const top = fake.messages.filter((m) => !m.thread_ts);
      expect(top).toHaveLength(1);
      const replies = fake.messages.filter((m) => m.thread_ts);
      expect(replies.map((r) => r.thread_ts)).toEqual([top[0]!.ts, top[0]!.ts]);
      expect(replies[0]!.text).toContain('A bad deploy');
      expect(replies[1]!.text).toContain('Rolled back');
      expect(replies.map((r) => r.reply_broadcast)).toEqual([false, true]);
      expect(top[0]!.text).toContain('&amp; timeouts. &lt;!channel&gt;');
      expect(top[0]!.text).toContain(link());
      expect(top[0]!.edits).toHaveLength(2);
      expect(top[0]!.edits[1]!.text).toContain('[Resolved]');
      for (const m of fake.messages) expect(m.metadata?.event_type).toBe('herald_update');
    },
  );

  it('discourse: one topic, a reply per update, the first post edited', () => {
    const { topics, posts } = fleet.discourse;
    expect(topics).toHaveLength(1);
    expect(topics[0]!.title).toMatch(/^Checkout errors – \d+ \w+ \d{4}$/);
    expect(posts.map((p) => p.post_number)).toEqual([1, 2, 3]);
    expect(posts[1]!.raw).toContain('A bad deploy');
    expect(posts[2]!.raw).toContain('Rolled back');
    expect(posts[0]!.edits).toHaveLength(2);
    expect(posts[0]!.edits[1]!.raw).toContain('**Resolved**');
    for (const p of posts) expect(p.raw).toContain(link());
  });

  it('discourse: the delivery links the topic', async () => {
    const res = await h.api('GET', `/api/v1/updates/${updateIds[0]}/deliveries`);
    const d = res.body.channels.find((c: { channel: string }) => c.channel === 'discourse');
    expect(d.externalUrl).toBe(
      `${fleet.discourse.url}/t/${fleet.discourse.topics[0]!.slug}/${fleet.discourse.topics[0]!.id}`,
    );
  });

  it('discord: a message per update, never pinging, the first one edited', () => {
    const { messages } = fleet.discord;
    expect(messages).toHaveLength(3);
    expect(fleet.discord.textOf(messages[1]!)).toContain('A bad deploy');
    expect(fleet.discord.textOf(messages[2]!)).toContain('Rolled back');
    for (const m of messages) expect(m.allowed_mentions).toEqual({ parse: [] });
    expect(messages[0]!.edits).toHaveLength(2);
    expect(fleet.discord.textOf(messages[0]!)).toContain('[Resolved]');
  });

  it('teams and mattermost: a post per update in order (their webhooks cannot thread or edit)', () => {
    expect(fleet.teams.cards.map((c) => c.text)).toEqual([
      expect.stringContaining('elevated errors'),
      expect.stringContaining('A bad deploy'),
      expect.stringContaining('Rolled back'),
    ]);
    expect(fleet.mattermost.posts.map((p) => p.text)).toEqual([
      expect.stringContaining('elevated errors'),
      expect.stringContaining('A bad deploy'),
      expect.stringContaining('Rolled back'),
    ]);
    for (const p of fleet.mattermost.posts) expect(p.text).toContain(link());
  });
});

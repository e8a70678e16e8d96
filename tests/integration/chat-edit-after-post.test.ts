import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { discord } from '../../src/channels/discord/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, deliveredEverywhere, startTestHerald } from '../helpers/herald.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import { type DiscordFake, startDiscordFake } from '../fakes/webhook-chat-fakes.js';

// A threaded update is posted first and the incident's first message edited after it, so followers see the update
// without waiting for the edit. What is tested here: a failed edit never makes the update post twice.
describe('threaded chat: the update is posted, then the first message edited', () => {
  let fake: SlackFake;
  let h: TestHerald;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  async function openIncident() {
    fake = await startSlackFake();
    h = await startTestHerald({
      channels: [
        slack({
          token: fake.token,
          channel: SLACK_FAKE_CHANNEL.id,
          apiUrl: fake.apiUrl,
          rate: { max: 1000, perMs: 1000 },
        }),
      ],
    });
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'Investigating.',
      impact: 'major',
    });
    expect(opened.status).toBe(201);
    await settled(opened.body.update.id);
    return opened.body.incident.id as string;
  }

  const slackRow = async (updateId: string) => {
    const res = await h.api('GET', `/api/v1/updates/${updateId}/deliveries`);
    return res.body.channels.find((c: { channel: string }) => c.channel === 'slack') as {
      state: string;
      attempts: number;
      externalId?: string;
      error?: string;
    };
  };
  const settled = (updateId: string) =>
    eventually(async () => {
      const row = await slackRow(updateId);
      return row && ['delivered', 'failed'].includes(row.state) ? row : undefined;
    }, 15_000);
  const addUpdate = async (incidentId: string, status: string) => {
    const res = await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: `Now ${status}.`, status });
    expect(res.status).toBe(201);
    return res.body.update.id as string;
  };
  const replies = () => fake.messages.filter((m) => m.thread_ts);
  const top = () => fake.messages.find((m) => !m.thread_ts)!;

  it('replies before it edits', async () => {
    const incidentId = await openIncident();
    const row = await settled(await addUpdate(incidentId, 'identified'));
    expect(row).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(replies()).toHaveLength(1);
    expect(top().edits).toHaveLength(1);
    expect(replies()[0]!.postedAt).toBeLessThan(top().edits[0]!.at);
  });

  it('a 5xx on the edit retries the edit alone: one reply, then the edit', async () => {
    const incidentId = await openIncident();
    fake.failNext('5xx', { method: 'chat.update' });
    const row = await settled(await addUpdate(incidentId, 'identified'));
    expect(row).toMatchObject({ state: 'delivered', attempts: 2, externalId: replies()[0]?.ts });
    expect(row.error).toBeUndefined();
    expect(replies()).toHaveLength(1);
    expect(fake.calls.filter((c) => c.method === 'chat.update')).toHaveLength(2);
    expect(top().edits.at(-1)!.text).toContain('[Identified]');
  });

  it('a 429 on the edit waits for the reset, then edits without replying again', async () => {
    const incidentId = await openIncident();
    fake.failNext('429', { method: 'chat.update', resetAtMs: Date.now() + 1_000 });
    const updateId = await addUpdate(incidentId, 'monitoring');
    const waiting = await eventually(async () => {
      const row = await slackRow(updateId);
      return row?.state === 'pending' && row.error?.startsWith('rate-limited') ? row : undefined;
    }, 10_000);
    // The reply is on the row while the edit waits, so a later update of the incident waits behind it.
    expect(waiting.externalId).toBe(replies()[0]!.ts);
    const row = await settled(updateId);
    expect(row).toMatchObject({ state: 'delivered', externalId: replies()[0]!.ts });
    expect(replies()).toHaveLength(1);
    expect(top().edits.at(-1)!.text).toContain('[Monitoring]');
  });

  it('an edit refused for good still records the update delivered, saying the first message is stale', async () => {
    const incidentId = await openIncident();
    fake.failNext('auth', { method: 'chat.update' });
    const row = await settled(await addUpdate(incidentId, 'identified'));
    expect(row).toMatchObject({ state: 'delivered', attempts: 1, externalId: replies()[0]!.ts });
    expect(row.error).toMatch(/first post still shows an earlier status: .*SLACK_TOKEN/);
    expect(replies()).toHaveLength(1);
    expect(top().edits).toHaveLength(0);
  });
});

// Discord's webhooks cannot list what they posted, so the post's record is all that stands between a failed edit's
// retry and a second post. Here the database refuses that record for a while (a CHECK constraint added on
// PostgreSQL, then dropped): the worker keeps trying to record it and the retry only edits.
describe('threaded chat on PostgreSQL: the database refuses the post’s record for a while', () => {
  let fake: DiscordFake | undefined;
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  it('Discord still shows the update once, and the first message is edited after the database answers again', async () => {
    fake = await startDiscordFake();
    h = await startTestHerald({
      database: 'postgres',
      channels: [discord({ webhookUrl: fake.webhookUrl, rate: { max: 1000, perMs: 1000 } })],
    });
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'Investigating.',
      impact: 'major',
    });
    await deliveredEverywhere(h, opened.body.update.id);

    const admin = new pg.Client({ connectionString: h.databaseUrl });
    await admin.connect();
    try {
      // Refuses exactly the record of a post whose edit failed: a pending row that carries the post's id.
      await admin.query(
        `ALTER TABLE deliveries ADD CONSTRAINT test_refuse_posted_pending CHECK (state <> 'pending' OR external_id IS NULL) NOT VALID`,
      );
      fake.failNext('5xx', { method: 'PATCH' });
      const update = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
        message: 'A bad deploy.',
        status: 'identified',
      });
      await eventually(() => fake!.messages.length === 2, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // a retry with backoff would have come by now
      await admin.query('ALTER TABLE deliveries DROP CONSTRAINT test_refuse_posted_pending');
      const [row] = await deliveredEverywhere(h, update.body.update.id);
      expect(row).toMatchObject({ state: 'delivered', attempts: 2, externalId: fake.messages[1]!.id });
    } finally {
      await admin.query('ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS test_refuse_posted_pending');
      await admin.end();
    }
    expect(fake.messages).toHaveLength(2);
    expect(fake.textOf(fake.messages[1]!)).toContain('A bad deploy.');
    expect(fake.messages[0]!.edits).toHaveLength(1);
  });
});

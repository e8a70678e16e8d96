import { afterEach, describe, expect, it } from 'vitest';
import { slack } from '../../src/channels/slack/index.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';

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
    h = await startTestHerald({ channels: [slack({ token: fake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: fake.apiUrl, rate: { max: 1000, perMs: 1000 } })] });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Checkout errors', message: 'Investigating.', impact: 'major' });
    expect(opened.status).toBe(201);
    await settled(opened.body.update.id);
    return opened.body.incident.id as string;
  }

  const slackRow = async (updateId: string) => {
    const res = await h.api('GET', `/api/v1/updates/${updateId}/deliveries`);
    return res.body.channels.find((c: { channel: string }) => c.channel === 'slack') as { state: string; attempts: number; externalId?: string; error?: string };
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

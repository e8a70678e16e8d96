import { afterEach, describe, expect, it } from 'vitest';
import { slack } from '../../src/channels/slack/index.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

// Slack's look-up (conversations.history, by the delivery id in the message metadata) follows the engine's rule:
// only after an attempt whose outcome is unknown, and a refused one falls back to posting.

describe('slack: look-up before posting again', () => {
  let h: TestHerald | undefined;
  let fake: SlackFake | undefined;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  async function publishWithTimeout(refuseLookUp: boolean) {
    fake = await startSlackFake();
    h = await startTestHerald({
      channels: [
        slack({
          token: fake.token,
          channel: SLACK_FAKE_CHANNEL.id,
          apiUrl: fake.apiUrl,
          timeoutMs: 400,
          rate: { max: 1000, perMs: 1000 },
        }),
      ],
    });
    if (refuseLookUp) fake.failNext({ error: 'missing_scope' }, { method: 'conversations.history' });
    const held = fake.holdNextPost(); // stored, its answer never comes: the client times out
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Checkout errors', message: 'Looking into it.' });
    expect(opened.status).toBe(201);
    await held.arrived;
    const updateId = opened.body.update.id as string;
    return eventually(
      async () => {
        const res = await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`);
        const row = res.body.channels[0] as { state: string; externalId?: string; error?: string };
        return ['delivered', 'failed'].includes(row.state) ? row : undefined;
      },
      20_000,
      50,
    );
  }

  it('after a timeout the message that landed is found by its metadata, not posted again', async () => {
    const row = await publishWithTimeout(false);
    expect(row.state).toBe('delivered');
    expect(fake!.messages).toHaveLength(1);
    expect(row.externalId).toBe(fake!.messages[0]!.ts);
    expect(fake!.calls.filter((c) => c.method === 'conversations.history')).toHaveLength(1);
  });

  it('a look-up refused for a missing scope falls back to posting: delivered, never failed', async () => {
    const row = await publishWithTimeout(true);
    expect(row.state).toBe('delivered');
    // Slack has no duplicate check: without the look-up the message that had landed shows twice.
    expect(fake!.messages).toHaveLength(2);
    expect(row.externalId).toBe(fake!.messages[1]!.ts);
  });

  it('after an error answer there is nothing to look up', async () => {
    fake = await startSlackFake();
    h = await startTestHerald({
      channels: [slack({ token: fake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: fake.apiUrl, timeoutMs: 400 })],
    });
    fake.failNext({ error: 'internal_error' }, { method: 'chat.postMessage' });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Checkout errors', message: 'Looking.' });
    await eventually(async () => {
      const res = await h!.api('GET', `/api/v1/updates/${opened.body.update.id}/deliveries`);
      return res.body.channels[0].state === 'delivered';
    }, 20_000);
    expect(fake.messages).toHaveLength(1);
    expect(fake.calls.filter((c) => c.method === 'conversations.history')).toHaveLength(0);
  });
});

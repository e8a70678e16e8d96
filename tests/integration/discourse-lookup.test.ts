import { afterEach, describe, expect, it } from 'vitest';
import { discourse } from '../../src/channels/discourse/index.js';
import { type DiscourseFake, startDiscourseFake } from '../fakes/discourse-fake.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

// Discourse's look-up (the category's topics, then the topic's posts, by the incident link and the marker every
// Herald post carries) follows the engine's rule: only after an attempt whose outcome is unknown, and a refused
// one falls back to posting, where Discourse's own "title has already been used" leads to the topic.

interface Row {
  state: string;
  externalId?: string;
  error?: string;
}

describe('discourse: look-up before posting again', () => {
  let h: TestHerald | undefined;
  let fake: DiscourseFake | undefined;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  async function start() {
    fake = await startDiscourseFake();
    h = await startTestHerald({
      channels: [
        discourse({
          url: fake.url,
          apiKey: fake.apiKey,
          username: fake.username,
          categoryId: fake.categoryId,
          timeoutMs: 400,
          rate: { max: 1000, perMs: 1000 },
        }),
      ],
    });
    return h;
  }

  const settled = (updateId: string) =>
    eventually(
      async () => {
        const res = await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`);
        const row = res.body.channels[0] as Row;
        return ['delivered', 'failed'].includes(row.state) ? row : undefined;
      },
      20_000,
      50,
    );
  const lookUps = () => fake!.calls.filter((c) => c.method === 'GET').length;

  async function openWithTimeout(refuseLookUp: boolean) {
    await start();
    const held = fake!.holdNextPost(); // stored, its answer never comes: the client times out
    const opened = await h!.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors for some customers',
      message: 'We are looking into failed payments at checkout.',
    });
    expect(opened.status).toBe(201);
    await held.arrived;
    // Like X's Free access level: the next request, the look-up, is refused.
    if (refuseLookUp) fake!.failNext('auth');
    return settled(opened.body.update.id as string);
  }

  it('after a timeout the topic that landed is found, not opened again', async () => {
    const row = await openWithTimeout(false);
    expect(row.state).toBe('delivered');
    expect(fake!.topics).toHaveLength(1);
    expect(fake!.posts).toHaveLength(1);
    expect(row.externalId).toBe(String(fake!.posts[0]!.id));
    expect(lookUps()).toBeGreaterThan(0);
    // Found by the look-up: no second posting attempt.
    expect(fake!.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('a refused look-up falls back to posting: delivered in the one topic, never failed', async () => {
    const row = await openWithTimeout(true);
    expect(row.state).toBe('delivered');
    expect(fake!.topics).toHaveLength(1);
    expect(fake!.posts).toHaveLength(1);
    expect(row.externalId).toBe(String(fake!.posts[0]!.id));
    // The posting attempt after the refusal was made, and Discourse refused the title as taken.
    expect(fake!.calls.filter((c) => c.method === 'POST')).toHaveLength(2);
  });

  it('a reply whose answer was lost is found in the topic by its marker, not posted twice', async () => {
    await start();
    const opened = await h!.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors for some customers',
      message: 'We are looking into failed payments at checkout.',
    });
    expect((await settled(opened.body.update.id)).state).toBe('delivered');
    const held = fake!.holdNextPost();
    const update = await h!.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      status: 'identified',
      message: 'A configuration change on the payment gateway; rolling it back.',
    });
    expect(update.status).toBe(201);
    await held.arrived;
    const row = await settled(update.body.update.id);
    expect(row.state).toBe('delivered');
    expect(fake!.topics).toHaveLength(1);
    expect(fake!.posts.map((p) => p.post_number)).toEqual([1, 2]);
    expect(fake!.calls.filter((c) => c.method === 'GET' && c.path.startsWith('/t/'))).not.toHaveLength(0);
    expect(row.externalId).toBe(String(fake!.posts[1]!.id));
  });

  it('after a 5xx there is nothing to look up: the post goes out once', async () => {
    await start();
    fake!.failNext('5xx');
    const opened = await h!.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors for some customers',
      message: 'We are looking into failed payments at checkout.',
    });
    const row = await settled(opened.body.update.id);
    expect(row.state).toBe('delivered');
    expect(fake!.posts).toHaveLength(1);
    expect(lookUps()).toBe(0);
  });
});

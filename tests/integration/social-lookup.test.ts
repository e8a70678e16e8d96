import { afterEach, describe, expect, it } from 'vitest';
import type { TwitterFake } from '../fakes/twitter-fake.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { SOCIAL_KINDS, type SocialSetup, socialSetup } from '../helpers/social-channels.js';
import { waitDelivered } from '../helpers/social-pipeline.js';

// The engine looks a post up before posting again only when the previous attempt's outcome is unknown, and a
// look-up the platform refuses (X's Free access level answers GET /2/users/:id/tweets with 403
// client-not-enrolled) never turns a sendable update into a failure.

interface Row {
  channel: string;
  state: string;
  error?: string;
  externalId?: string;
  externalUrl?: string;
}

async function deliveryOf(h: TestHerald, updateId: string, channel: string): Promise<Row> {
  const res = await h.api('GET', `/api/v1/updates/${updateId}/deliveries`);
  return (res.body.channels as Row[]).find((c) => c.channel === channel)!;
}

/** Waits until the delivery settles, whatever its state. */
const settled = (h: TestHerald, updateId: string, channel: string) =>
  eventually(
    async () => {
      const row = await deliveryOf(h, updateId, channel);
      return ['delivered', 'failed', 'skipped', 'partial'].includes(row.state) ? row : undefined;
    },
    20_000,
    50,
  );

async function open(h: TestHerald, message: string) {
  const res = await h.api('POST', '/api/v1/incidents', { title: 'Checkout errors', message });
  expect(res.status).toBe(201);
  return { incidentId: res.body.incident.id as string, updateId: res.body.update.id as string };
}

async function update(h: TestHerald, incidentId: string, message: string) {
  const res = await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message, status: 'identified' });
  expect(res.status).toBe(201);
  return res.body.update.id as string;
}

describe.each(SOCIAL_KINDS)('%s: look-up before posting again', (kind) => {
  let h: TestHerald | undefined;
  let setup: SocialSetup | undefined;
  afterEach(async () => {
    await h?.close();
    await setup?.fake.close();
    h = setup = undefined;
  });

  async function start(lookUp: 'works' | 'refused') {
    setup = await socialSetup(kind, { timeoutMs: 400 });
    setup.fake.lookUp = lookUp;
    h = await startTestHerald({ channels: [setup.definition] });
    return { h, fake: setup.fake };
  }

  it('after a 429 there is nothing to look up: the post goes out after the reset, even where look-ups are refused', async () => {
    const { h, fake } = await start('refused');
    fake.failNext({ kind: '429', resetAtMs: Date.now() + 1_500 });
    const { updateId } = await open(h, 'Rate-limited first, then posted.');
    const row = await settled(h, updateId, kind);
    expect(row.state).toBe('delivered');
    expect(row.externalId).toBeTruthy();
    expect(fake.posts).toHaveLength(1);
    expect(fake.lookUps).toBe(0);
  });

  it('after a 5xx there is nothing to look up either', async () => {
    const { h, fake } = await start('works');
    fake.failNext({ kind: '5xx' });
    const { updateId } = await open(h, 'Refused by a 503, then posted.');
    expect((await settled(h, updateId, kind)).state).toBe('delivered');
    expect(fake.posts).toHaveLength(1);
    expect(fake.lookUps).toBe(0);
  });

  it('after a timeout the post that landed is found, not posted again', async () => {
    const { h, fake } = await start('works');
    fake.failNext({ kind: 'slow', delayMs: 1_500 });
    const { updateId } = await open(h, 'Timed out, but it landed.');
    const row = await settled(h, updateId, kind);
    expect(row.state).toBe('delivered');
    expect(fake.posts).toHaveLength(1);
    expect(fake.lookUps).toBeGreaterThanOrEqual(1);
    expect(row.externalUrl).toBeTruthy();
  });

  it('after a timeout, a refused look-up falls back to posting: the delivery is never failed for it', async () => {
    const { h, fake } = await start('refused');
    fake.failNext({ kind: 'slow', delayMs: 1_500 });
    const { updateId } = await open(h, 'Timed out where look-ups are refused.');
    const row = await settled(h, updateId, kind);
    expect(row.state).toBe('delivered');
    expect(fake.lookUps).toBeGreaterThanOrEqual(1);
    // X refuses the copy as duplicate content and Mastodon answers its Idempotency-Key with the first status; a
    // Bluesky post has neither, so the fall-back posts a second copy there.
    expect(fake.posts).toHaveLength(kind === 'bluesky' ? 2 : 1);
  });
});

describe('X on the Free access level', () => {
  let h: TestHerald | undefined;
  let setup: SocialSetup | undefined;
  afterEach(async () => {
    await h?.close();
    await setup?.fake.close();
  });

  it('records a duplicate refusal after an unknown outcome as delivered, and the thread goes on from the last known post', async () => {
    setup = await socialSetup('twitter', { timeoutMs: 400 });
    const fake = setup.fake as TwitterFake;
    fake.lookUp = 'refused';
    h = await startTestHerald({ channels: [setup.definition] });

    fake.failNext({ kind: 'slow', delayMs: 1_500 });
    const { incidentId, updateId } = await open(h, 'Landed, but the answer was lost.');
    const first = await settled(h, updateId, 'twitter');
    expect(first.state).toBe('delivered');
    expect(first.error).toMatch(/duplicate/);
    expect(first.error).toMatch(/id is unknown/);
    expect(first.externalId).toBeUndefined();
    expect(fake.posts).toHaveLength(1);

    // No post of this thread has a known id: the next update starts a new post instead of failing its reply.
    const second = await update(h, incidentId, 'Found the cause.');
    const secondRow = await waitDelivered(h, second, 'twitter');
    expect(fake.posts).toHaveLength(2);
    expect(fake.posts[1]!.replyTo).toBeNull();
    expect(secondRow.externalUrl).toContain(fake.posts[1]!.id);

    // From then on, replies go under the last post whose id is known.
    const third = await update(h, incidentId, 'Rolling back.');
    await waitDelivered(h, third, 'twitter');
    expect(fake.posts[2]!.replyTo).toBe(fake.posts[1]!.id);
  });

  it('a duplicate refusal with no unknown outcome before it stays a failure', async () => {
    setup = await socialSetup('twitter', { timeoutMs: 400 });
    const fake = setup.fake as TwitterFake;
    h = await startTestHerald({ channels: [setup.definition] });
    fake.failNext({ kind: 'duplicate' });
    const { updateId } = await open(h, 'Refused as a duplicate on the first try.');
    const row = await settled(h, updateId, 'twitter');
    expect(row.state).toBe('failed');
    expect(row.error).toMatch(/duplicate/);
    expect(fake.lookUps).toBe(0);
  });
});

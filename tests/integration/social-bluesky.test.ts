import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, SendTarget } from '../../src/channels/channel.js';
import { OutcomeUnknownError } from '../../src/channels/errors.js';
import type { BlueskyPost } from '../../src/channels/bluesky/render.js';
import { sampleContext } from '../contract/channel-contract.js';
import { BlueskyFake } from '../fakes/bluesky-fake.js';
import { BlueskyClient } from '../../src/channels/bluesky/client.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { type SocialSetup, channelRuntime, socialSetup } from '../helpers/social-channels.js';
import { publishThreeUpdates } from '../helpers/social-pipeline.js';

const target = (over: Partial<SendTarget> = {}): SendTarget => ({
  idempotencyKey: `k-${Math.random()}`,
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

describe('bluesky channel on the PDS fake', () => {
  let setup: SocialSetup;
  let fake: BlueskyFake;
  let channel: Channel<BlueskyPost>;
  beforeAll(async () => {
    setup = await socialSetup('bluesky', { timeoutMs: 300 });
    fake = setup.fake as BlueskyFake;
    channel = setup.definition.create(channelRuntime()) as Channel<BlueskyPost>;
  });
  afterAll(() => setup.fake.close());

  it('marks links with facets at UTF-8 byte offsets, after emoji and CJK', async () => {
    const ctx = sampleContext({ message: '障害 🙂👍🏽 details: https://example.com/a?b=c.' });
    const rendered = channel.render(ctx);
    await channel.send(rendered, target());
    const record = fake.stored[fake.stored.length - 1]!.value as {
      text: string;
      facets: Array<{ index: { byteStart: number; byteEnd: number }; features: Array<{ uri: string }> }>;
    };
    const bytes = Buffer.from(record.text);
    const linked = record.facets.map((f) => [
      bytes.subarray(f.index.byteStart, f.index.byteEnd).toString(),
      f.features[0]!.uri,
    ]);
    expect(linked).toEqual([
      ['https://example.com/a?b=c', 'https://example.com/a?b=c'],
      [ctx.incident.url, ctx.incident.url],
    ]);
  });

  it('signs in once and reuses the session', async () => {
    const before = fake.sessionsCreated;
    await channel.send(channel.render(sampleContext({ message: 'Session check one.' })), target());
    await channel.send(channel.render(sampleContext({ message: 'Session check two.' })), target());
    expect(fake.sessionsCreated).toBe(before);
  });

  it('refreshes an expired session (400 ExpiredToken) with its refresh token and posts once', async () => {
    await channel.send(channel.render(sampleContext({ message: 'Before expiry.' })), target());
    const [created, refreshed, stored] = [fake.sessionsCreated, fake.sessionsRefreshed, fake.stored.length];
    fake.expireAccessTokens();
    // Two posts refused with the same token at once share one refresh (a refresh token is good for one).
    await Promise.all([
      channel.send(channel.render(sampleContext({ message: 'After expiry, one.' })), target()),
      channel.send(channel.render(sampleContext({ message: 'After expiry, two.' })), target()),
    ]);
    expect(fake.sessionsRefreshed).toBe(refreshed + 1);
    expect(fake.sessionsCreated).toBe(created);
    const texts = fake.stored.slice(stored).map((r) => (r.value as { text: string }).text);
    expect(texts).toHaveLength(2);
    for (const message of ['After expiry, one.', 'After expiry, two.'])
      expect(texts.filter((t) => t.includes(message))).toHaveLength(1);
  });

  it('signs in afresh when the refresh token is no longer good either', async () => {
    await channel.send(channel.render(sampleContext({ message: 'Before the session ends.' })), target());
    const [created, stored] = [fake.sessionsCreated, fake.stored.length];
    fake.expireAccessTokens();
    fake.revokeRefreshTokens();
    await channel.send(channel.render(sampleContext({ message: 'After a fresh sign-in.' })), target());
    expect(fake.sessionsCreated).toBe(created + 1);
    expect(fake.stored.length).toBe(stored + 1);
  });

  it('sends the account’s calls to the PDS its session’s DID document names, not the entryway signed in to', async () => {
    const entryway = await new BlueskyFake({ password: 'entry-way-pass-1234', entryway: true }).start();
    try {
      const client = new BlueskyClient(
        { service: entryway.url, identifier: entryway.identifier, appPassword: 'entry-way-pass-1234' },
        2_000,
      );
      const sent = await client.post({ text: 'Posted on the PDS.', facets: [] }, undefined);
      expect(entryway.stored.map((r) => (r.value as { text: string }).text)).toEqual(['Posted on the PDS.']);
      expect(sent.externalId).toBe(entryway.stored[0]!.uri);
    } finally {
      await entryway.close();
    }
  });

  it('says a post whose answer timed out has an unknown outcome, and its look-up finds it', async () => {
    const rendered = channel.render(sampleContext({ message: 'Timed out, but it landed.' }));
    fake.failNext({ kind: 'slow', delayMs: 1_000 });
    const error = await channel.send(rendered, target({ idempotencyKey: 'b1' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toMatch(/did not answer/);
    const before = fake.posts.length;
    const ref = await channel.reconcile!(rendered, target({ idempotencyKey: 'b1', attempt: 2 }));
    expect(fake.posts.length).toBe(before);
    expect(
      await channel.reconcile!(channel.render(sampleContext({ message: 'never sent' })), target({ attempt: 2 })),
    ).toBeNull();
    expect(ref).toMatchObject({
      externalId: fake.stored[before - 1]!.uri,
      meta: { cid: fake.stored[before - 1]!.cid },
    });
  });
});

describe('bluesky through the real pipeline', () => {
  let h: TestHerald | undefined;
  let setup: SocialSetup | undefined;
  afterEach(async () => {
    await h?.close();
    await setup?.fake.close();
  });

  it('threads open → identified → resolved with reply refs root = post 1, parent = previous post', async () => {
    setup = await socialSetup('bluesky');
    h = await startTestHerald({ channels: [setup.definition] });
    const { deliveries } = await publishThreeUpdates(h, 'bluesky');
    const posts = (setup.fake as BlueskyFake).stored;
    expect(posts).toHaveLength(3);
    expect(posts.map((p) => p.replyTo)).toEqual([null, posts[0]!.uri, posts[1]!.uri]);
    expect(posts.map((p) => p.rootId)).toEqual([null, posts[0]!.uri, posts[0]!.uri]);
    const [, did, , rkey] = posts[0]!.uri.replace('at://', '/').split('/');
    expect(deliveries[0]!.externalUrl).toBe(`https://bsky.app/profile/${did}/post/${rkey}`);
  });
});

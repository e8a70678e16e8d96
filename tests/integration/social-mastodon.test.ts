import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, SendTarget } from '../../src/channels/channel.js';
import type { Toot } from '../../src/channels/mastodon/render.js';
import { sampleContext } from '../contract/channel-contract.js';
import type { MastodonFake } from '../fakes/mastodon-fake.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { type SocialSetup, channelRuntime, socialSetup } from '../helpers/social-channels.js';
import { publishThreeUpdates } from '../helpers/social-pipeline.js';

const target = (over: Partial<SendTarget> = {}): SendTarget => ({
  idempotencyKey: `k-${Math.random()}`,
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

describe('mastodon channel on the Mastodon fake', () => {
  let setup: SocialSetup;
  let fake: MastodonFake;
  let channel: Channel<Toot>;
  beforeAll(async () => {
    setup = await socialSetup('mastodon', { timeoutMs: 300 });
    fake = setup.fake as MastodonFake;
    channel = setup.definition.create(channelRuntime()) as Channel<Toot>;
  });
  afterAll(() => setup.fake.close());

  it('sends the delivery id as Idempotency-Key: a retry after a timeout gets the same status back', async () => {
    const rendered = channel.render(
      sampleContext({ message: 'Idempotency check with a link https://example.com/x?a=1&b=2' }),
    );
    fake.failNext({ kind: 'slow', delayMs: 1_000 });
    await expect(channel.send(rendered, target({ idempotencyKey: 'delivery-m1' }))).rejects.toThrow(/did not answer/);
    const before = fake.posts.length;
    const ref = await channel.send(rendered, target({ idempotencyKey: 'delivery-m1', attempt: 2 }));
    expect(fake.posts.length).toBe(before);
    expect(fake.idempotencyHits).toEqual(['delivery-m1']);
    expect(ref.externalId).toBe(fake.posts[before - 1]!.id);
  });

  it('reconcile() finds a status from its HTML content and the thread it replies to', async () => {
    const rendered = channel.render(
      sampleContext({ message: 'A <b>markup</b> & "quotes" check\n\nsecond paragraph\nline two' }),
    );
    const sent = await channel.send(rendered, target());
    expect(await channel.reconcile!(rendered, target({ attempt: 2 }))).toMatchObject({ externalId: sent.externalId });
    const asReply = { first: { externalId: sent.externalId! }, previous: { externalId: sent.externalId! } };
    expect(await channel.reconcile!(rendered, target({ attempt: 2, thread: asReply }))).toBeNull();
  });
});

describe('mastodon through the real pipeline', () => {
  let h: TestHerald | undefined;
  let setup: SocialSetup | undefined;
  afterEach(async () => {
    await h?.close();
    await setup?.fake.close();
  });

  it('threads open → identified → resolved as status, reply to status 1, reply to status 2', async () => {
    setup = await socialSetup('mastodon');
    h = await startTestHerald({ channels: [setup.definition] });
    const { deliveries, updateIds } = await publishThreeUpdates(h, 'mastodon');
    const posts = setup.fake.posts;
    expect(posts).toHaveLength(3);
    expect(posts.map((p) => p.replyTo)).toEqual([null, posts[0]!.id, posts[1]!.id]);
    expect(posts[2]!.text).toMatch(/^\[Resolved\] Checkout errors/);
    expect(deliveries[2]!.externalUrl).toBe(`${(setup.fake as MastodonFake).url}/@status/${posts[2]!.id}`);
    // The Idempotency-Key is the delivery id: one per update.
    expect(new Set(updateIds).size).toBe(3);
  });
});

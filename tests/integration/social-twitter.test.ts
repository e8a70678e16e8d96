import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, SendTarget } from '../../src/channels/channel.js';
import {
  DuplicatePostError,
  OutcomeUnknownError,
  PermanentError,
  RateLimitedError,
} from '../../src/channels/errors.js';
import type { Tweet } from '../../src/channels/twitter/render.js';
import { sampleContext } from '../contract/channel-contract.js';
import type { TwitterFake } from '../fakes/twitter-fake.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { type SocialSetup, channelRuntime, socialSetup } from '../helpers/social-channels.js';
import { publishThreeUpdates } from '../helpers/social-pipeline.js';

const target = (over: Partial<SendTarget> = {}): SendTarget => ({
  idempotencyKey: `k-${Math.random()}`,
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

describe('twitter channel on the X fake', () => {
  let setup: SocialSetup;
  let fake: TwitterFake;
  let channel: Channel<Tweet>;
  beforeAll(async () => {
    setup = await socialSetup('twitter', { timeoutMs: 300 });
    fake = setup.fake as TwitterFake;
    channel = setup.definition.create(channelRuntime()) as Channel<Tweet>;
  });
  afterAll(() => setup.fake.close());

  it('records a duplicate-content 403 as permanent, saying so', async () => {
    const rendered = channel.render(sampleContext({ message: 'Duplicate check.' }));
    await channel.send(rendered, target());
    const error = await channel.send(rendered, target()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicatePostError);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/duplicate/);
  });

  it('waits for the 24-hour user limit reset, not the 15-minute window', async () => {
    const resetAtMs = Date.now() + 6 * 3600_000;
    fake.failNext({ kind: '429-24h', resetAtMs });
    const error = await channel
      .send(channel.render(sampleContext({ message: '24h check.' })), target())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(Math.abs((error as RateLimitedError).untilMs - resetAtMs)).toBeLessThan(2_000);
  });

  it('says a post whose answer timed out has an unknown outcome; reconcile() finds it and misses nothing else', async () => {
    const rendered = channel.render(
      sampleContext({ message: 'Timed out, but it landed: https://example.com/details' }),
    );
    const key = 'delivery-timeout-1';
    fake.failNext({ kind: 'slow', delayMs: 1_000 });
    const error = await channel.send(rendered, target({ idempotencyKey: key })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toMatch(/did not answer/);
    const before = fake.posts.length;
    const ref = await channel.reconcile!(rendered, target({ idempotencyKey: key, attempt: 2 }));
    expect(fake.posts.length).toBe(before);
    expect(ref?.externalId).toBe(fake.posts[before - 1]!.id);
    expect(
      await channel.reconcile!(channel.render(sampleContext({ message: 'never sent' })), target({ attempt: 2 })),
    ).toBeNull();
  });
});

describe('twitter through the real pipeline', () => {
  let h: TestHerald | undefined;
  let setup: SocialSetup | undefined;
  afterEach(async () => {
    await h?.close();
    await setup?.fake.close();
  });

  it('threads open → identified → resolved as post, reply to post 1, reply to post 2', async () => {
    setup = await socialSetup('twitter');
    h = await startTestHerald({ channels: [setup.definition] });
    const { deliveries } = await publishThreeUpdates(h, 'twitter');
    const posts = setup.fake.posts;
    expect(posts).toHaveLength(3);
    expect(posts[0]!.replyTo).toBeNull();
    expect(posts[1]!.replyTo).toBe(posts[0]!.id);
    expect(posts[2]!.replyTo).toBe(posts[1]!.id);
    expect(posts[1]!.text).toMatch(/^\[Identified\] Checkout errors/);
    expect(posts[1]!.text).toContain('bad deploy');
    expect(deliveries[0]!.externalUrl).toBe(`https://x.com/i/web/status/${posts[0]!.id}`);
  });
});

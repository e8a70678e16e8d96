import { afterEach, describe, expect, it } from 'vitest';
import type { SendTarget } from '../../src/channels/channel.js';
import { PermanentError, RateLimitedError } from '../../src/channels/errors.js';
import { discourse } from '../../src/channels/discourse/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { sampleContext } from '../contract/channel-contract.js';
import { chatRuntime } from '../helpers/chat-runtime.js';
import { type DiscourseFake, startDiscourseFake } from '../fakes/discourse-fake.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';

const target = (over: Partial<SendTarget> = {}): SendTarget => ({
  idempotencyKey: `d-${Math.random().toString(36).slice(2)}`,
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});
const fakes: Array<SlackFake | DiscourseFake> = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

describe('Slack errors tell the operator what to fix', () => {
  const setup = async (opts: { botInChannel?: boolean } = {}) => {
    const fake = await startSlackFake(opts);
    fakes.push(fake);
    return {
      fake,
      channel: slack({ token: fake.token, channel: '#status', apiUrl: fake.apiUrl }).create(chatRuntime()),
    };
  };

  it('not_in_channel → PermanentError saying to invite the bot', async () => {
    const { channel } = await setup({ botInChannel: false });
    const error = await channel.send(channel.render(sampleContext()), target()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/invite it there with \/invite/);
  });

  it.each(['channel_not_found', 'account_inactive', 'token_revoked'])(
    '%s → PermanentError with the fix',
    async (code) => {
      const { fake, channel } = await setup();
      fake.failNext({ error: code });
      const error = await channel.send(channel.render(sampleContext()), target()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as Error).message).toMatch(code === 'channel_not_found' ? /set SLACK_CHANNEL/ : /SLACK_TOKEN/);
      expect((error as Error).message).not.toContain(fake.token);
    },
  );

  it('a 429 on the edit of the first message is a RateLimitedError (the queue waits, then edits again)', async () => {
    const { fake, channel } = await setup();
    const first = await channel.send(channel.render(sampleContext()), target());
    fake.failNext('429', { method: 'chat.update', resetAtMs: Date.now() + 5_000 });
    const ref = { externalId: first.externalId!, meta: first.meta ?? null };
    const error = await channel.editFirstPost!(
      channel.render(sampleContext({ number: 2, status: 'identified' })),
      ref,
      target({ thread: { first: ref, previous: ref } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).untilMs).toBeGreaterThan(Date.now() + 3_000);
    expect(fake.messages[0]!.edits).toHaveLength(0);
  });

  it('a name in SLACK_CHANNEL posts, and reconcile uses the ID Slack answered with', async () => {
    const { fake, channel } = await setup();
    const t = target();
    const rendered = channel.render(sampleContext());
    const sent = await channel.send(rendered, t);
    expect(sent.meta).toEqual({ channel: SLACK_FAKE_CHANNEL.id });
    expect(await channel.reconcile!(rendered, t)).toMatchObject({ externalId: sent.externalId });
    expect(await channel.reconcile!(rendered, target())).toBeNull();
    expect(fake.messages).toHaveLength(1);
  });
});

describe('Discourse: "Title has already been used"', () => {
  const setup = async () => {
    const fake = await startDiscourseFake();
    fakes.push(fake);
    return {
      fake,
      channel: discourse({
        url: fake.url,
        apiKey: fake.apiKey,
        username: fake.username,
        categoryId: fake.categoryId,
      }).create(chatRuntime()),
    };
  };

  it('continues in the incident’s own topic (an earlier attempt opened it)', async () => {
    const { fake, channel } = await setup();
    const ctx = sampleContext();
    const rendered = channel.render(ctx);
    const topic = fake.seedTopic(rendered.title, `${rendered.summaryRaw}\n\n<!-- herald:lost-attempt -->`);
    const ref = await channel.send(rendered, target());
    expect(fake.topics).toHaveLength(1);
    expect(ref.meta).toMatchObject({ topicId: String(topic.id) });
    expect(ref.externalUrl).toBe(`${fake.url}/t/${topic.slug}/${topic.id}`);
  });

  it('opens its own topic under a distinct title when another incident holds the title', async () => {
    const { fake, channel } = await setup();
    const rendered = channel.render(sampleContext());
    fake.seedTopic(rendered.title, 'Another incident, same title: https://status.example.test/incidents/other.html');
    await channel.send(rendered, target());
    expect(fake.topics).toHaveLength(2);
    expect(fake.topics[1]!.title).toMatch(/^Checkout errors – .*\(\w+\)$/);
  });

  it('reconcile finds a reply by its marker, and nothing for an update never posted', async () => {
    const { channel } = await setup();
    const first = await channel.send(channel.render(sampleContext()), target());
    const ref = { externalId: first.externalId!, meta: first.meta ?? null };
    const t = target({ thread: { first: ref, previous: ref } });
    const reply = channel.render(
      sampleContext({ number: 2, status: 'identified', message: 'Found the cause of the errors.' }),
    );
    const sent = await channel.send(reply, t);
    expect(await channel.reconcile!(reply, t)).toMatchObject({ externalId: sent.externalId });
    expect(await channel.reconcile!(reply, { ...t, idempotencyKey: 'never-posted' })).toBeNull();
  });

  it('429 waits for the announced reset', async () => {
    const { fake, channel } = await setup();
    fake.failNext('429', { resetAtMs: Date.now() + 30_000 });
    const error = await channel.send(channel.render(sampleContext()), target()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).untilMs).toBeGreaterThan(Date.now() + 25_000);
  });
});

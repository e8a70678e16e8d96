import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Channel,
  type Recipient,
  type SendTarget,
  type SentRef,
  type UpdateContext,
  isAudienceChannel,
} from '../../src/channels/channel.js';
import { OutcomeUnknownError, PermanentError, RateLimitedError, RetryableError } from '../../src/channels/errors.js';
import type { ChannelDefinition } from '../../src/config/define.js';

/**
 * The shared table of contract cases every registered channel runs (after Apprise's shared URL-test table): the
 * message and link on the wire, length limits by the channel's own measure, escaping of hostile text, threading,
 * the channel's description of itself, and the mapping of provider failures to queue behaviour. Each channel
 * brings a fixture built on its protocol fake or a local server (tests/contract/fixtures).
 */

/** The provider failures of the table: a 429 with a reset, a 5xx, a refusal (credentials or content). */
export type Failure = '429' | '5xx' | 'auth';
export type Expected = 'rate-limited' | 'retryable' | 'permanent';

export interface ContractFixture<R = unknown> {
  /** The channel as a config would set it up, pointed at the fixture's fake (for a whole Herald). */
  definition: ChannelDefinition<Channel<R>>;
  /** The channel the cases drive (usually `definition.create(…)`). */
  channel: Channel<R>;
  /** For audience channels: the subscriber the fake receives for. */
  recipient?: Recipient;
  /**
   * The context of an update for these options. Default `sampleContext`; a channel that reads the store (the
   * status page) records the incident first, so what it publishes is that update.
   */
  context?(options: ContextOptions): Promise<UpdateContext>;
  /**
   * What the fake accepted, oldest first: the text as the platform shows it, the platform's id of the post (when
   * it is not the id `send` returns), and the id of the post it answers (thread, topic, In-Reply-To).
   */
  posts(): Promise<Array<{ text: string; id?: string; replyTo?: string | null }>>;
  /** Makes the fake's next answer fail. `resetAtMs` is the reset the fake announces with a 429. */
  failNext(kind: Failure, options?: { resetAtMs?: number }): void;
  /** Where the channel maps a failure otherwise than the table, on purpose: what it throws and why. */
  mapsOtherwise?: Partial<Record<Failure, { expect: Expected; why: string }>>;
  /** Failures the provider cannot produce (a local file has no rate limit), and why: reported as skipped. */
  cannotFail?: Partial<Record<Failure, string>>;
  /** Optional: makes the fake's next answer come later than the channel's request timeout. */
  failSlow?(): void;
  /** Everything in the rendered message a reader sees, as sent (default: the channel's preview parts). */
  wireText?(rendered: R): string;
  /**
   * For a payload that carries the commander's text as data (the webhooks' JSON): reads it back. The escaping case
   * then checks the text arrives exactly as written, escaped by the format, rather than neutralised.
   */
  textAsData?(rendered: R): { message: string; title: string };
  /** Patterns that must never reach the wire when the message carries injection attempts (plus `javascript:`). */
  forbidden: RegExp[];
  /** Credentials the channel holds; none may appear in an error it throws. */
  secrets: string[];
  close(): Promise<void>;
}

export type FixtureFactory = () => Promise<ContractFixture<any>>;

export interface ContextOptions {
  message?: string;
  title?: string;
  number?: number;
  status?: UpdateContext['update']['status'];
}

export function sampleContext(overrides: ContextOptions = {}): UpdateContext {
  const number = overrides.number ?? 1;
  const status = overrides.status ?? 'investigating';
  return {
    site: { name: 'Example Status', url: 'https://status.example.test' },
    incident: {
      id: '01jexampleincident0000000',
      title: overrides.title ?? 'Checkout errors',
      status,
      impact: 'major',
      startedAt: '2026-11-29T04:00:00.000Z',
      resolvedAt: status === 'resolved' ? '2026-11-29T05:00:00.000Z' : null,
      url: 'https://status.example.test/incidents/01jexampleincident0000000.html',
      shortUrl: 'https://status.example.test/i/01jexampleincident0000000',
      components: [{ id: 'c1', name: 'Checkout API', status: status === 'resolved' ? 'operational' : 'major_outage' }],
    },
    update: {
      id: `01jexampleupdate00000000${number}`,
      status,
      message: overrides.message ?? 'We are investigating elevated error rates on checkout.',
      createdAt: '2026-11-29T04:05:00.000Z',
      number,
      isFirst: number === 1,
    },
  };
}

const target = (over: Partial<SendTarget> = {}): SendTarget => ({
  idempotencyKey: `contract-${Math.random().toString(36).slice(2)}`,
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

export const INJECTION_MESSAGE = [
  '<script>alert(1)</script> <img src=x onerror=alert(2)>',
  '[click me](javascript:alert(3)) <a href="javascript:alert(4)">x</a>',
  '@everyone @here <!channel> <!here> <@U123> [url=http://evil.test]bb[/url]',
  '*bold* _it_ ~strike~ `code` | pipes | & ampersand > quote',
].join('\n');

const ERROR_CLASS = { 'rate-limited': RateLimitedError, retryable: RetryableError, permanent: PermanentError };
const TABLE: Record<Failure, { expect: Expected; what: string }> = {
  '429': { expect: 'rate-limited', what: 'a rate limit (429)' },
  '5xx': { expect: 'retryable', what: 'a provider failure (5xx)' },
  auth: { expect: 'permanent', what: 'a refusal (4xx: credentials or content)' },
};

/** Sends as the engine does: `send` for channels that post, `sendTo` the fixture's subscriber for audience channels. */
function deliver<R>(fixture: ContractFixture<R>, rendered: R, over: Partial<SendTarget> = {}): Promise<SentRef> {
  const channel = fixture.channel;
  if (!isAudienceChannel(channel)) return channel.send(rendered, target(over));
  if (!fixture.recipient) throw new Error(`fixture of audience channel '${channel.name}' has no recipient`);
  const { idempotencyKey, attempt, signal } = target(over);
  return channel.sendTo(rendered, fixture.recipient, { idempotencyKey, attempt, signal });
}

const previewText = (channel: Channel, rendered: unknown) =>
  channel
    .preview(rendered)
    .map((p) => ('html' in p ? p.html : p.text))
    .join('\n');

export function channelContract<R>(name: string, setup: () => Promise<ContractFixture<R>>) {
  describe(`channel contract: ${name}`, () => {
    let fixture: ContractFixture<R>;
    const contextFor = (options: ContextOptions = {}) =>
      fixture.context ? fixture.context(options) : Promise.resolve(sampleContext(options));
    const wire = (rendered: R) =>
      fixture.wireText ? fixture.wireText(rendered) : previewText(fixture.channel, rendered);

    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('puts the message and the incident link on the wire', async () => {
      const ctx = await contextFor();
      const ref = await deliver(fixture, fixture.channel.render(ctx));
      expect(ref.skipped).toBeUndefined();
      const posts = await fixture.posts();
      const last = posts[posts.length - 1]!;
      expect(last.text).toContain(ctx.incident.url);
      expect(last.text).toContain('elevated error rates');
    });

    it('describes itself: a preview showing the message, and measures that are pure', async () => {
      const ctx = await contextFor({ message: 'Preview check: payments recover.' });
      const rendered = fixture.channel.render(ctx);
      const parts = fixture.channel.preview(rendered);
      expect(parts.length).toBeGreaterThan(0);
      for (const part of parts) expect(part.label.trim()).not.toBe('');
      expect(previewText(fixture.channel, rendered)).toContain('Preview check: payments recover.');
      expect(fixture.channel.measure(rendered)).toEqual(fixture.channel.measure(fixture.channel.render(ctx)));
      // A channel with a length limit says how long each message is against it.
      if (fixture.channel.capabilities.maxLength !== undefined)
        expect(fixture.channel.measure(rendered).some((m) => m.limit !== undefined)).toBe(true);
    });

    it('fits a very long message within every limit it measures, and keeps the link', async () => {
      const ctx = await contextFor({
        message: 'Long update with many words. '.repeat(800) + '日本語のテキスト🙂'.repeat(50),
      });
      const rendered = fixture.channel.render(ctx);
      for (const measure of fixture.channel.measure(rendered))
        if (measure.limit !== undefined) expect(measure.value, measure.label).toBeLessThanOrEqual(measure.limit);
      // The page's address, or (where every character counts: SMS) the short link that redirects to it.
      const text = wire(rendered);
      expect(text.includes(ctx.incident.url) || text.includes(`${ctx.incident.shortUrl}\n`)).toBe(true);
    });

    it('says in its preview where it cut a message too long for it, and only then', async () => {
      const marker = 'End of the update 7f3c.';
      const ctx = await contextFor({ message: `${'Long update with many words. '.repeat(1500)}${marker}` });
      const rendered = fixture.channel.render(ctx);
      const notes = fixture.channel.preview(rendered).flatMap((p) => ('cut' in p && p.cut ? [p.cut] : []));
      if (wire(rendered).includes(marker)) expect(notes).toEqual([]);
      else {
        expect(notes.length).toBeGreaterThan(0);
        for (const note of notes) expect(note).toMatch(/left out \(\d+ characters\)/);
      }
    });

    it('neutralises markup and mention injection', async () => {
      const title = '<b>Title</b> @everyone';
      const rendered = fixture.channel.render(await contextFor({ message: INJECTION_MESSAGE, title }));
      if (fixture.textAsData) {
        expect(fixture.textAsData(rendered)).toEqual({ message: INJECTION_MESSAGE, title });
        return;
      }
      const text = wire(rendered);
      for (const pattern of [...fixture.forbidden, /javascript:/i]) expect(text).not.toMatch(pattern);
    });

    it('threads later updates on the first post where the channel threads', async (test) => {
      if (!fixture.channel.capabilities.threads) return test.skip('the channel does not thread');
      // A text of its own: platforms such as X refuse a post identical to an earlier one.
      const before = (await fixture.posts()).length;
      const first = await deliver(
        fixture,
        fixture.channel.render(await contextFor({ number: 1, message: 'Threading check: first post.' })),
      );
      const firstPost = (await fixture.posts())[before]!;
      const firstRef = {
        externalId: first.externalId ?? '',
        externalUrl: first.externalUrl ?? null,
        meta: first.meta ?? null,
      };
      await deliver(
        fixture,
        fixture.channel.render(await contextFor({ number: 2, status: 'identified', message: 'Found it.' })),
        { thread: { first: firstRef, previous: firstRef } },
      );
      const posts = await fixture.posts();
      expect(posts.length).toBe(before + 2);
      expect(posts[posts.length - 1]!.replyTo).toBe(firstPost.id ?? first.externalId);
    });

    for (const failure of ['429', '5xx', 'auth'] as const) {
      it(`maps ${TABLE[failure].what} to its queue behaviour`, async (test) => {
        const cannot = fixture.cannotFail?.[failure];
        if (cannot) return test.skip(cannot);
        const otherwise = fixture.mapsOtherwise?.[failure];
        if (otherwise) await test.annotate(`${otherwise.expect}, not ${TABLE[failure].expect}: ${otherwise.why}`);
        const expected = otherwise?.expect ?? TABLE[failure].expect;
        const resetAtMs = Date.now() + 42_000;
        fixture.failNext(failure, { resetAtMs });
        const error = await deliver(fixture, fixture.channel.render(await contextFor())).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ERROR_CLASS[expected]);
        if (expected === 'rate-limited')
          expect(Math.abs((error as RateLimitedError).untilMs - resetAtMs)).toBeLessThan(2_000);
        const text = `${(error as Error).message} ${(error as Error).stack ?? ''}`;
        for (const secret of fixture.secrets) expect(text).not.toContain(secret);
      });
    }

    it('maps a provider that does not answer in time to RetryableError, its outcome unknown', async (test) => {
      if (!fixture.failSlow) return test.skip('the fixture cannot delay its answers');
      fixture.failSlow();
      const error = await deliver(
        fixture,
        fixture.channel.render(await contextFor({ message: 'Timeout check.' })),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
      // The request went out: the engine must look the post up before posting again, where the channel can.
      expect(error).toBeInstanceOf(OutcomeUnknownError);
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, SendTarget, SentRef, UpdateContext } from '../../src/channels/channel.js';
import { PermanentError, RateLimitedError, RetryableError, OutcomeUnknownError } from '../../src/channels/errors.js';

/**
 * The shared contract every channel runs (after Apprise's shared URL-test table): length limits, escaping and
 * markup injection, the incident link, threading, and the mapping of 429 / 5xx / 4xx to queue behaviour.
 * A channel's test file calls `channelContract(name, setup)` with a fixture built on its protocol fake.
 */
export interface ContractFixture<R> {
  channel: Channel<R>;
  /** What the fake accepted, oldest first: the text as the platform shows it, and the id it replied to. */
  posts(): Promise<Array<{ text: string; replyTo?: string | null }>>;
  /** Makes the fake's next answer a failure. `resetAtMs` is the reset the fake announces with a 429. */
  failNext(kind: '429' | '5xx' | 'auth', options?: { resetAtMs?: number }): void;
  /** Optional: makes the fake's next answer come later than the channel's request timeout. */
  failSlow?(): void;
  /** Length of a rendered message in the platform's unit (weighted characters, graphemes, …). */
  measure?(rendered: R): number;
  /** Everything in the rendered message a reader sees, as sent on the wire (for the escaping checks). */
  wireText(rendered: R): string;
  /** Patterns that must never reach the wire when the message carries injection attempts. */
  forbidden: RegExp[];
  /** Credentials the channel holds; none may appear in an error it throws. */
  secrets: string[];
  close(): Promise<void>;
}

export function sampleContext(
  overrides: { message?: string; title?: string; number?: number; status?: UpdateContext['update']['status'] } = {},
): UpdateContext {
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

export function channelContract<R>(name: string, setup: () => Promise<ContractFixture<R>>) {
  describe(`channel contract: ${name}`, () => {
    let fixture: ContractFixture<R>;
    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('puts the message and the incident link on the wire', async () => {
      const ctx = sampleContext();
      const rendered = fixture.channel.render(ctx);
      const ref = await fixture.channel.send(rendered, target());
      expect(ref.externalId ?? ref.skipped).toBeTruthy();
      const posts = await fixture.posts();
      const last = posts[posts.length - 1]!;
      expect(last.text).toContain(ctx.incident.url);
      expect(last.text).toContain('elevated error rates');
    });

    it('fits a very long message to the platform limit and keeps the link', () => {
      const ctx = sampleContext({
        message: 'Long update with many words. '.repeat(800) + '日本語のテキスト🙂'.repeat(50),
      });
      const rendered = fixture.channel.render(ctx);
      const max = fixture.channel.capabilities.maxLength;
      if (max !== undefined && fixture.measure) expect(fixture.measure(rendered)).toBeLessThanOrEqual(max);
      expect(fixture.wireText(rendered)).toContain(ctx.incident.url);
    });

    it('neutralises markup and mention injection', () => {
      const rendered = fixture.channel.render(
        sampleContext({ message: INJECTION_MESSAGE, title: '<b>Title</b> @everyone' }),
      );
      const wire = fixture.wireText(rendered);
      for (const pattern of fixture.forbidden) expect(wire).not.toMatch(pattern);
      expect(wire).not.toMatch(/javascript:/i);
    });

    it('threads later updates on the first post when the platform threads', async () => {
      if (!fixture.channel.capabilities.threads) return;
      // A text of its own: platforms such as X refuse a post identical to an earlier one.
      const first = await fixture.channel.send(
        fixture.channel.render(sampleContext({ number: 1, message: 'Threading check: first post.' })),
        target(),
      );
      const firstRef = {
        externalId: first.externalId!,
        externalUrl: first.externalUrl ?? null,
        meta: first.meta ?? null,
      };
      const second: SentRef = await fixture.channel.send(
        fixture.channel.render(sampleContext({ number: 2, status: 'identified', message: 'Found it.' })),
        target({ thread: { first: firstRef, previous: firstRef } }),
      );
      expect(second.externalId).toBeTruthy();
      const posts = await fixture.posts();
      expect(posts[posts.length - 1]!.replyTo).toBe(first.externalId);
    });

    it('maps 429 to RateLimitedError with the announced reset', async () => {
      const resetAtMs = Date.now() + 42_000;
      fixture.failNext('429', { resetAtMs });
      const error = await fixture.channel
        .send(fixture.channel.render(sampleContext()), target())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(Math.abs((error as RateLimitedError).untilMs - resetAtMs)).toBeLessThan(2_000);
    });

    it('maps 5xx to RetryableError', async () => {
      fixture.failNext('5xx');
      const error = await fixture.channel
        .send(fixture.channel.render(sampleContext()), target())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
    });

    it('maps a provider that does not answer in time to RetryableError, its outcome unknown', async () => {
      if (!fixture.failSlow) return;
      fixture.failSlow();
      const error = await fixture.channel
        .send(fixture.channel.render(sampleContext({ message: 'Timeout check.' })), target())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
      // The request went out: the engine must look the post up before posting again, where the channel can.
      expect(error).toBeInstanceOf(OutcomeUnknownError);
    });

    it('maps an authentication failure to PermanentError without leaking credentials', async () => {
      fixture.failNext('auth');
      const error = await fixture.channel
        .send(fixture.channel.render(sampleContext()), target())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      const text = `${(error as Error).message} ${(error as Error).stack ?? ''}`;
      for (const secret of fixture.secrets) expect(text).not.toContain(secret);
    });
  });
}

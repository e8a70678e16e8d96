// The only errors a channel's send() throws. The pipeline maps each to queue behaviour:
//   RetryableError     → retry with exponential backoff (spends an attempt)
//   PermanentError     → fail at once, no retry (bad credentials, invalid recipient, rejected content)
//   RateLimitedError   → wait until the provider's reset time without spending an attempt
// Anything else thrown is treated as retryable: a bug or an unexpected response should not lose an update.

const LINEAGE = Symbol.for('herald.channel-error.lineage');

/**
 * `instanceof` on these classes also recognises errors made by another copy of this module (a config or
 * plugin loaded in a separate module graph): each error carries the names of its classes under a global
 * symbol, and the check compares names. Retry decisions must never hinge on which copy threw.
 */
export abstract class ChannelError extends Error {
  abstract readonly retry: 'backoff' | 'never' | 'after-reset';

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    const lineage: string[] = [];
    for (let proto = new.target.prototype; proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
      lineage.push(proto.constructor.name);
    }
    Object.defineProperty(this, LINEAGE, { value: lineage });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    const lineage =
      value !== null && typeof value === 'object' ? (value as Record<symbol, unknown>)[LINEAGE] : undefined;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about (a subclass too)
    if (Array.isArray(lineage)) return lineage.includes(this.name);
    // biome-ignore lint/complexity/noThisInStatic: as above
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

export class RetryableError extends ChannelError {
  override name = 'RetryableError';
  readonly retry = 'backoff' as const;
}

export class PermanentError extends ChannelError {
  override name = 'PermanentError';
  readonly retry = 'never' as const;
}

export class RateLimitedError extends ChannelError {
  override name = 'RateLimitedError';
  readonly retry = 'after-reset' as const;
  /** Epoch milliseconds at which the provider accepts requests again. */
  readonly untilMs: number;
  constructor(untilMs: number, message = 'rate-limited by the provider', options?: ErrorOptions) {
    super(message, options);
    this.untilMs = untilMs;
  }
}

/**
 * Maps an HTTP status to the error a channel should throw, for providers with ordinary semantics:
 * 429 → rate-limited (reset from Retry-After or the given reset time), 408/5xx → retry, other 4xx → permanent.
 */
export function errorForHttpStatus(
  status: number,
  detail: string,
  resetAtMs?: number,
  now: number = Date.now(),
): ChannelError {
  if (status === 429) return new RateLimitedError(resetAtMs ?? now + 60_000, `HTTP 429: ${detail}`);
  if (status === 408 || status >= 500) return new RetryableError(`HTTP ${status}: ${detail}`);
  return new PermanentError(`HTTP ${status}: ${detail}`);
}

/** Parses Retry-After (seconds or an HTTP date) into epoch ms. */
export function retryAfterToMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return now + Math.max(0, seconds) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : date;
}

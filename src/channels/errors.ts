// The only errors a channel's send() throws. The engine maps each to queue behaviour (src/pipeline/failure.ts):
//   RetryableError       → retry with exponential backoff (spends an attempt)
//   OutcomeUnknownError  → as RetryableError, but the request went out and no answer came back: the post may be
//                          there, so the next attempt looks it up first where the channel can (reconcile)
//   PermanentError       → fail at once, no retry (bad credentials, invalid recipient, rejected content)
//   DuplicatePostError   → a PermanentError that, after an attempt whose outcome is unknown, means that attempt landed
//   RateLimitedError     → wait until the provider's reset time without spending an attempt
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

/**
 * The request left and no answer came back (a timeout after sending, a connection cut before the answer, an
 * answer broken off): the provider may have done what was asked. A definite refusal (an HTTP status, a refused
 * connection) is never this. The engine looks the post up before posting again, on channels that can.
 */
export class OutcomeUnknownError extends RetryableError {
  override name = 'OutcomeUnknownError';
}

/**
 * The platform refused the post as a copy of one already on the account (X: 403 "duplicate content"). Permanent
 * on its own; after an attempt whose outcome was unknown it means that attempt landed, and the engine records the
 * delivery as delivered with the post's id unknown.
 */
export class DuplicatePostError extends PermanentError {
  override name = 'DuplicatePostError';
}

/**
 * The provider refused this recipient for good (hard bounce, invalid number, webhook gone). The recipient's
 * send is recorded failed and the subscriber changes state so later updates skip it:
 * `suppress` (email hard bounce, SMS STOP / invalid number: the address joins the suppression list) or
 * `disable` (a webhook endpoint answered 410 Gone).
 */
export class RecipientRejectedError extends PermanentError {
  override name = 'RecipientRejectedError';
  constructor(
    message: string,
    readonly action: 'suppress' | 'disable' | 'none' = 'none',
    /** For `suppress`: the address's suppression hash (see addressHash in src/domain/audience.ts), computed by the channel. */
    readonly suppressionHash?: string,
  ) {
    super(message);
  }
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

/** Transport failures that happen before a request leaves: nothing reached the provider. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** The error code of a transport failure, looked for on the error and its causes. */
function transportCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED' && code !== 'ABORT_ERR') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The error for a call that got no answer: RetryableError when the failure shows the request never left (the
 * connection was refused, the name did not resolve), OutcomeUnknownError otherwise (a timeout or a connection cut
 * after sending: the provider may have acted on it).
 */
export function noAnswerError(message: string, cause: unknown): RetryableError {
  if (cause instanceof OutcomeUnknownError) return new OutcomeUnknownError(message);
  if (cause instanceof RetryableError) return new RetryableError(message);
  const code = transportCode(cause);
  return code && NOT_SENT_CODES.has(code) ? new RetryableError(message) : new OutcomeUnknownError(message);
}

/** Parses Retry-After (seconds or an HTTP date) into epoch ms. */
export function retryAfterToMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return now + Math.max(0, seconds) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : date;
}

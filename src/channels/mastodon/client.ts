import type { PostRef, SentRef } from '../channel.js';
import {
  type ChannelError,
  PermanentError,
  RateLimitedError,
  RetryableError,
  errorForHttpStatus,
  noAnswerError,
  retryAfterToMs,
} from '../errors.js';
import { type AnswerHeaders, type HttpAnswer, httpCall } from '../http.js';

export interface MastodonStatus {
  id: string;
  url?: string | null;
  uri: string;
  content: string;
  in_reply_to_id: string | null;
}

export type Visibility = 'public' | 'unlisted' | 'private' | 'direct';

/** Mastodon's REST API (statuses, accounts), Bearer token. */
export class MastodonClient {
  private readonly base: string;
  private accountId?: Promise<string>;

  constructor(
    baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async post(
    text: string,
    options: { inReplyTo?: string; visibility: Visibility; idempotencyKey: string; signal?: AbortSignal },
  ): Promise<SentRef> {
    const body: Record<string, string> = { status: text, visibility: options.visibility };
    if (options.inReplyTo) body.in_reply_to_id = options.inReplyTo;
    const status = await this.request<MastodonStatus>('POST', '/api/v1/statuses', 'post', {
      body,
      // Mastodon answers a repeated key (within an hour) with the status it already made.
      headers: { 'idempotency-key': options.idempotencyKey },
      signal: options.signal,
    });
    return toRef(status);
  }

  async recentStatuses(limit = 20, signal?: AbortSignal): Promise<MastodonStatus[]> {
    const id = await this.ownAccountId(signal);
    return this.request<MastodonStatus[]>(
      'GET',
      `/api/v1/accounts/${encodeURIComponent(id)}/statuses?limit=${limit}`,
      'look up recent posts',
      { signal },
    );
  }

  private ownAccountId(signal?: AbortSignal): Promise<string> {
    this.accountId ??= this.request<{ id: string }>('GET', '/api/v1/accounts/verify_credentials', 'verify the token', {
      signal,
    })
      .then((account) => account.id)
      .catch((error: unknown) => {
        this.accountId = undefined;
        throw error;
      });
    return this.accountId;
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<T> {
    let answer: HttpAnswer;
    try {
      answer = await httpCall({
        method,
        url: this.base + path,
        headers: { authorization: `Bearer ${this.token}`, ...options.headers },
        body: options.body,
        signal: options.signal,
        timeoutMs: this.timeoutMs,
        what: 'the server', // named in the error below
      });
    } catch (error) {
      throw noAnswerError(
        `Mastodon did not answer (${what} at ${new URL(this.base).host}): ${(error as Error).message}; will retry`,
        error,
      );
    }
    if (answer.status < 200 || answer.status >= 300)
      throw errorForMastodonResponse(answer.status, answer.text, answer.headers, what);
    if (answer.json === undefined)
      throw new RetryableError(
        `Mastodon answered ${what} with something that is not JSON (HTTP ${answer.status}); will retry`,
      );
    return answer.json as T;
  }
}

export function toRef(status: MastodonStatus): SentRef {
  return { externalId: status.id, externalUrl: status.url ?? status.uri };
}

export function errorForMastodonResponse(
  status: number,
  body: string,
  headers: AnswerHeaders,
  what: string,
  now = Date.now(),
): ChannelError {
  let detail = body.slice(0, 200) || 'no detail';
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') detail = parsed.error;
  } catch {
    // not JSON: keep the text
  }
  if (status === 429) {
    // X-RateLimit-Reset is an ISO-8601 time on Mastodon.
    const reset = headers.get('x-ratelimit-reset');
    const untilMs =
      (reset ? Date.parse(reset) : NaN) || retryAfterToMs(headers.get('retry-after'), now) || now + 5 * 60_000;
    return new RateLimitedError(
      untilMs,
      `Mastodon rate limit reached (${what}); posting resumes at ${new Date(untilMs).toISOString()}`,
    );
  }
  if (status === 401)
    return new PermanentError(
      `Mastodon rejected the access token (HTTP 401: ${detail}); set MASTODON_TOKEN to a token with the write:statuses and read:accounts scopes`,
    );
  if (status === 403)
    return new PermanentError(
      `Mastodon refused to ${what} (HTTP 403: ${detail}); the token needs the write:statuses and read:accounts scopes`,
    );
  if (status === 422) return new PermanentError(`Mastodon refused the post (HTTP 422: ${detail})`);
  return errorForHttpStatus(status, `Mastodon ${what}: ${detail}`, undefined, now);
}

/** Mastodon's HTML content back to comparable text. */
export function sameTootText(status: MastodonStatus, sent: string): boolean {
  const fromHtml = status.content
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&');
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  return norm(fromHtml) === norm(sent);
}

export function repliesTo(status: MastodonStatus, previous: PostRef | undefined): boolean {
  return previous ? status.in_reply_to_id === previous.externalId : status.in_reply_to_id === null;
}

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { TwitterApi } from 'twitter-api-v2';
import { lazyRequire } from '../../lib/lazy-require.js';
import type { PostRef, SentRef } from '../channel.js';
import {
  type ChannelError,
  DuplicatePostError,
  OutcomeUnknownError,
  PermanentError,
  RateLimitedError,
  RetryableError,
  errorForHttpStatus,
  noAnswerError,
} from '../errors.js';

export interface TwitterCredentials {
  appKey: string;
  appSecret: string;
  accessToken: string;
  accessSecret: string;
}

interface PostedTweet {
  id: string;
  text: string;
  referenced_tweets?: Array<{ type: string; id: string }>;
  entities?: { urls?: Array<{ url: string; expanded_url?: string }> };
}

/** X API v2 through twitter-api-v2 with OAuth 1.0a user context, at any base URL (a local fake in tests). */
/** The X SDK loads when an X channel is set up. */
const xSdk = lazyRequire<typeof import('twitter-api-v2')>('twitter-api-v2');

export class TwitterClient {
  private readonly api: TwitterApi;
  private readonly prefix: string;
  private readonly host: string;
  private userId?: Promise<string>;

  constructor(
    credentials: TwitterCredentials,
    apiUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.prefix = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
    const url = new URL(this.prefix);
    this.host = url.host;
    // twitter-api-v2 sends through https.request; an http:// endpoint works only with an http.Agent.
    const httpAgent =
      url.protocol === 'http:' ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true });
    this.api = new (xSdk().TwitterApi)({ ...credentials }, { httpAgent });
  }

  async post(text: string, inReplyTo?: string): Promise<SentRef> {
    const body = { text, ...(inReplyTo ? { reply: { in_reply_to_tweet_id: inReplyTo } } : {}) };
    try {
      const res = await this.api.v2.post<{ data: { id: string; text: string } }>('tweets', body, {
        prefix: this.prefix,
        timeout: this.timeoutMs,
        forceBodyMode: 'json',
      });
      return toRef(res.data.id);
    } catch (error) {
      throw this.mapError(error, 'post');
    }
  }

  /** The account's most recent posts (newest first), to find one an interrupted attempt made. */
  async recentPosts(count = 10): Promise<PostedTweet[]> {
    try {
      const id = await this.accountId();
      const res = await this.api.v2.get<{ data?: PostedTweet[] }>(
        `users/${encodeURIComponent(id)}/tweets`,
        { max_results: Math.min(100, Math.max(5, count)), 'tweet.fields': 'referenced_tweets,entities,created_at' },
        { prefix: this.prefix, timeout: this.timeoutMs },
      );
      return res.data ?? [];
    } catch (error) {
      throw this.mapError(error, 'look up recent posts');
    }
  }

  private accountId(): Promise<string> {
    this.userId ??= this.api.v2
      .get<{ data: { id: string } }>('users/me', undefined, { prefix: this.prefix, timeout: this.timeoutMs })
      .then((res) => res.data.id)
      .catch((error: unknown) => {
        this.userId = undefined;
        throw error;
      });
    return this.userId;
  }

  private mapError(error: unknown, what: string): ChannelError {
    const { ApiPartialResponseError, ApiRequestError, ApiResponseError } = xSdk();
    if (error instanceof ApiResponseError) return errorForXResponse(error.code, error.data, error.headers, what);
    if (error instanceof ApiRequestError) {
      return noAnswerError(
        `X did not answer (${what} at ${this.host}): ${error.requestError?.message ?? error.message}; will retry`,
        error.requestError,
      );
    }
    // The answer began and broke off: X had taken the request.
    if (error instanceof ApiPartialResponseError)
      return new OutcomeUnknownError(`X answered with a broken response (${what}); will retry`);
    return new RetryableError(`X ${what} failed: ${(error as Error)?.message ?? String(error)}`);
  }
}

export function toRef(id: string): SentRef {
  return { externalId: id, externalUrl: `https://x.com/i/web/status/${id}` };
}

type Headers = Record<string, string | string[] | undefined>;

/** X's answer → the error that decides the queue's behaviour. Never includes request headers (they carry the OAuth signature). */
export function errorForXResponse(
  status: number,
  data: unknown,
  headers: Headers,
  what = 'post',
  now = Date.now(),
): ChannelError {
  const detail = xDetail(data);
  if (status === 429) {
    const header = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    // The 24-hour limits are announced beside the 15-minute window; whichever is spent decides the wait.
    const resets: Array<[string, string]> = [];
    if (header('x-user-limit-24hour-remaining') === '0')
      resets.push(['24-hour user limit', 'x-user-limit-24hour-reset']);
    if (header('x-app-limit-24hour-remaining') === '0') resets.push(['24-hour app limit', 'x-app-limit-24hour-reset']);
    if (resets.length === 0 || header('x-rate-limit-remaining') === '0')
      resets.push(['15-minute limit', 'x-rate-limit-reset']);
    let until: number | undefined;
    let which = 'rate limit';
    for (const [label, name] of resets) {
      const seconds = Number(header(name));
      if (Number.isFinite(seconds) && seconds > 0 && (until === undefined || seconds * 1000 > until)) {
        until = seconds * 1000;
        which = label;
      }
    }
    const untilMs = until ?? now + 15 * 60_000;
    return new RateLimitedError(
      untilMs,
      `X ${which} reached (${what}); posting resumes at ${new Date(untilMs).toISOString()}`,
    );
  }
  if (status === 403 && /duplicate/i.test(detail)) {
    return new DuplicatePostError(
      `X refused the post as duplicate content (HTTP 403: ${detail}); an identical post is already on the account, so it is not retried`,
    );
  }
  if (status === 401) {
    return new PermanentError(
      `X rejected the credentials (HTTP 401: ${detail}); check TWITTER_APP_KEY, TWITTER_APP_SECRET, TWITTER_ACCESS_TOKEN and TWITTER_ACCESS_SECRET`,
    );
  }
  if (status === 403) {
    return new PermanentError(
      `X refused to ${what} (HTTP 403: ${detail}); give the app Read and Write permission and regenerate the access token, or check the project's API access`,
    );
  }
  return errorForHttpStatus(status, `X ${what}: ${detail}`, undefined, now);
}

function xDetail(data: unknown): string {
  if (!data || typeof data !== 'object') return typeof data === 'string' && data ? data.slice(0, 200) : 'no detail';
  const d = data as { detail?: unknown; title?: unknown; errors?: Array<{ message?: unknown; code?: unknown }> };
  if (typeof d.detail === 'string') return d.detail;
  if (Array.isArray(d.errors) && d.errors.length > 0)
    return d.errors.map((e) => String(e.message ?? e.code ?? '')).join('; ');
  if (typeof d.title === 'string') return d.title;
  return 'no detail';
}

/** Text as X shows it back (links as t.co, & < > escaped) compared with what Herald sent. */
export function sameTweetText(posted: PostedTweet, sent: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .replace(/https?:\/\/\S+/g, '<url>')
      .replace(/\s+/g, ' ')
      .trim();
  return norm(posted.text) === norm(sent);
}

export function repliesTo(posted: PostedTweet, previous: PostRef | undefined): boolean {
  const replied = posted.referenced_tweets?.find((r) => r.type === 'replied_to')?.id;
  return previous ? replied === previous.externalId : replied === undefined;
}

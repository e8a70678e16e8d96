import { STATUS_CODES } from 'node:http';
import type { Agent, Dispatcher } from 'undici';
import { lazyRequire } from '../lib/lazy-require.js';
import {
  PermanentError,
  RateLimitedError,
  RetryableError,
  noAnswerError,
  retryAfterToMs,
  type ChannelError,
} from './errors.js';

/** Reads one answer header by name (case-insensitive); several values are joined with ", " as in fetch. */
export interface AnswerHeaders {
  get(name: string): string | null;
}

export interface HttpAnswer {
  status: number;
  headers: AnswerHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON, or as-is when a string / URLSearchParams. */
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Follow redirects (GET look-ups only; a POST is never re-sent elsewhere). */
  followRedirects?: boolean;
  /** Names the endpoint in error messages without its secret parts, e.g. "Discord webhook". */
  what: string;
}

/**
 * undici, loaded at the first provider call: a process whose channels make none (an email-only worker) does not
 * carry it (about 19 MB of RSS and 5 MB of heap).
 */
const undici = lazyRequire<typeof import('undici')>('undici');

/**
 * The keep-alive pool every provider call goes through, made at the first call. Herald's own, not undici's global
 * dispatcher: on Node 20 the first undici to be loaded takes the global slot, and Node's bundled one (undici 6) is
 * loaded by merely building a Response (the pg driver does at import). Its dispatch refuses undici 7's
 * interceptors ("invalid onError method"), which broke every redirect-following look-up under `herald serve`.
 */
let agent: Agent | undefined;
const pool = () => (agent ??= new (undici().Agent)());
let following: Dispatcher | undefined;
const redirectingDispatcher = () =>
  (following ??= pool().compose(undici().interceptors.redirect({ maxRedirections: 5 })));

/**
 * One HTTP call for the channels that speak to a provider's REST API or webhook themselves (chat, forum,
 * Mastodon, SMS). It goes through undici's request() on a keep-alive pool: a third of fetch()'s CPU per call,
 * which is most of what a zero-latency provider costs. Never throws anything but the typed channel errors for
 * transport problems; the caller maps HTTP statuses (each platform words its errors differently). Error
 * messages name `what`, never the URL: webhook URLs carry their secret in the path. A redirect is not followed
 * unless asked for: it comes back as the answer (a 3xx), which callers treat as a refusal.
 */
export async function httpCall(request: HttpRequest): Promise<HttpAnswer> {
  const timeoutMs = request.timeoutMs ?? 15_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (typeof request.body === 'string') body = request.body;
  else if (request.body instanceof URLSearchParams) {
    body = request.body.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  try {
    const response = await undici().request(request.url, {
      method: request.method ?? 'POST',
      headers,
      body,
      signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
      dispatcher: request.followRedirects ? redirectingDispatcher() : pool(),
    });
    const text = await response.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, headers: headerReader(response.headers), text, json };
  } catch (error) {
    const reason = timeout.aborted
      ? `timed out after ${timeoutMs} ms`
      : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    // A timeout after the request left may still have posted: the error says the outcome is unknown, and the
    // engine looks the post up before posting again on channels that can (docs/channels-chat.md).
    throw noAnswerError(`${request.what} could not be reached: ${reason}`, error);
  }
}

function headerReader(raw: Record<string, string | string[] | undefined>): AnswerHeaders {
  return {
    get(name) {
      const value = raw[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/**
 * A fetch() for client libraries that take one (@slack/web-api, @atproto/api), over the same undici pool and
 * without fetch()'s own cost per call: the library gets a FetchAnswer, a Response built from the bytes undici read.
 */
export async function lightFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  if (input instanceof Request) return fetch(input, init); // not used by our clients; keep the standard path
  const headers =
    init.headers instanceof Headers
      ? Object.fromEntries(init.headers)
      : Array.isArray(init.headers)
        ? Object.fromEntries(init.headers)
        : (init.headers as Record<string, string> | undefined);
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
    return fetch(input, init);
  const method = (init.method ?? 'GET').toUpperCase();
  const response = await undici().request(input, {
    method: method as Dispatcher.HttpMethod,
    headers,
    body: body ?? undefined,
    signal: init.signal ?? undefined,
    dispatcher: pool(),
  });
  const payload = Buffer.from(await response.body.arrayBuffer());
  const nullBody = response.statusCode === 204 || response.statusCode === 304 || method === 'HEAD';
  return new FetchAnswer(response.statusCode, String(input), response.headers, nullBody ? null : payload);
}

/**
 * A fetch Response over bytes already read. What clients read (status, headers, text, json, arrayBuffer) comes
 * straight from the bytes: building a WHATWG Response and reading it back through its body stream cost about
 * 0.15 ms of CPU per Slack call against the fake (a quarter of the call). The rest of the interface (`body`,
 * `clone()`, `blob()`, `formData()`) is served by a standard Response made on first use.
 */
class FetchAnswer implements Response {
  readonly type = 'basic' as const;
  readonly redirected = false;
  #headers?: Headers;
  #standard?: Response;

  constructor(
    readonly status: number,
    readonly url: string,
    private readonly rawHeaders: Record<string, string | string[] | undefined>,
    private readonly payload: Buffer | null,
  ) {}

  get ok() {
    return this.status >= 200 && this.status < 300;
  }
  get statusText() {
    return STATUS_CODES[this.status] ?? '';
  }
  get headers(): Headers {
    if (!this.#headers) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this.rawHeaders)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.set(name, value);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }
  get body() {
    return this.standard().body;
  }
  get bodyUsed() {
    return this.#standard?.bodyUsed ?? false;
  }
  async text() {
    const text = this.payload ? this.payload.toString('utf8') : '';
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // as fetch decodes: a UTF-8 BOM is dropped
  }
  async json() {
    return JSON.parse(await this.text()) as unknown;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer;
  }
  async bytes() {
    return this.payload ? new Uint8Array(this.payload) : new Uint8Array(0);
  }
  blob() {
    return this.standard().blob();
  }
  formData() {
    return this.standard().formData();
  }
  clone() {
    return this.standard().clone();
  }
  private standard(): Response {
    return (this.#standard ??= new Response(this.payload, {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
    }));
  }
}

/**
 * The error for a failed answer. 429 waits for the reset (Retry-After, or `resetAtMs` read from a platform
 * header/body), 408/5xx retry, 401/403/404/410 are permanent with `fix` telling the operator what to do.
 */
export function errorForAnswer(
  answer: HttpAnswer,
  what: string,
  detail: string,
  fix: { auth?: string; gone?: string; rejected?: string } = {},
  resetAtMs?: number,
): ChannelError {
  const { status } = answer;
  const short = detail.replace(/\s+/g, ' ').slice(0, 300);
  if (status === 429) {
    const until = resetAtMs ?? retryAfterToMs(answer.headers.get('retry-after')) ?? Date.now() + 60_000;
    return new RateLimitedError(
      until,
      `${what} rate-limited the request (HTTP 429) until ${new Date(until).toISOString()}`,
    );
  }
  if (status === 408 || status >= 500) return new RetryableError(`${what} answered HTTP ${status}: ${short}`);
  if (status >= 300 && status < 400) {
    return new PermanentError(
      `${what} answered with a redirect (HTTP ${status}); Herald does not re-send a post elsewhere: set the URL it redirects to`,
    );
  }
  if (status === 401 || status === 403)
    return new PermanentError(`${what} refused the credentials (HTTP ${status}): ${short}. ${fix.auth ?? ''}`.trim());
  if (status === 404 || status === 410)
    return new PermanentError(`${what} was not found (HTTP ${status}): ${short}. ${fix.gone ?? ''}`.trim());
  return new PermanentError(`${what} rejected the message (HTTP ${status}): ${short}. ${fix.rejected ?? ''}`.trim());
}

export interface WebhookFix {
  auth?: string;
  gone?: string;
  rejected?: string;
}

/**
 * A webhook call that must succeed (2xx): anything else becomes the typed error. `resetAt` reads a
 * platform-specific reset (Discord's body `retry_after`, Mattermost's X-Ratelimit-Reset) before Retry-After.
 */
export async function callWebhook(
  request: HttpRequest & { fix?: WebhookFix; resetAt?: (answer: HttpAnswer) => number | undefined },
): Promise<HttpAnswer> {
  const answer = await httpCall(request);
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw errorForAnswer(
    answer,
    request.what,
    describeBody(answer),
    request.fix,
    answer.status === 429 ? request.resetAt?.(answer) : undefined,
  );
}

/** The platform's own words from an error body: `message`, `errors[]`, `error.message`, or the text. */
export function describeBody(answer: HttpAnswer): string {
  const j = answer.json as { message?: unknown; errors?: unknown; error?: unknown } | undefined;
  if (j && typeof j === 'object') {
    if (Array.isArray(j.errors)) return j.errors.map(String).join('; ');
    if (typeof j.message === 'string') return j.message;
    if (j.error && typeof j.error === 'object' && typeof (j.error as { message?: unknown }).message === 'string')
      return (j.error as { message: string }).message;
    if (typeof j.error === 'string') return j.error;
  }
  return answer.text || '(empty body)';
}

/** "https://discord.com/api/webhooks/123/abc" → "discord.com": what an error may say about a secret URL. */
export const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
};

import { type Dispatcher, getGlobalDispatcher, interceptors, request as undiciRequest } from 'undici';
import { PermanentError, RateLimitedError, RetryableError, retryAfterToMs, type ChannelError } from './errors.js';

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

let following: Dispatcher | undefined;
const redirectingDispatcher = () => (following ??= getGlobalDispatcher().compose(interceptors.redirect({ maxRedirections: 5 })));

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
    const response = await undiciRequest(request.url, {
      method: request.method ?? 'POST',
      headers,
      body,
      signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
      dispatcher: request.followRedirects ? redirectingDispatcher() : undefined,
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
    const reason = timeout.aborted ? `timed out after ${timeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    // A timeout after the request left may still have posted: the worker's reconcile covers the crash case,
    // and for a plain retry the platform's own duplicate handling is all we have (said in docs/channels-chat.md).
    throw new RetryableError(`${request.what} could not be reached: ${reason}`);
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
 * A fetch() for client libraries that take one (@atproto/api), over the same undici pool: the library gets a
 * standard Response, without fetch()'s own cost per call.
 */
export async function lightFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  if (input instanceof Request) return fetch(input, init); // not used by our clients; keep the standard path
  const headers = init.headers instanceof Headers ? Object.fromEntries(init.headers) : Array.isArray(init.headers) ? Object.fromEntries(init.headers) : (init.headers as Record<string, string> | undefined);
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) return fetch(input, init);
  const method = (init.method ?? 'GET').toUpperCase();
  const response = await undiciRequest(input, {
    method: method as Dispatcher.HttpMethod,
    headers,
    body: body ?? undefined,
    signal: init.signal ?? undefined,
  });
  const payload = await response.body.arrayBuffer();
  const answerHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (Array.isArray(value)) for (const v of value) answerHeaders.append(name, v);
    else if (value !== undefined) answerHeaders.set(name, value);
  }
  const nullBody = response.statusCode === 204 || response.statusCode === 304 || method === 'HEAD';
  return new Response(nullBody ? null : payload, { status: response.statusCode, headers: answerHeaders });
}

/**
 * The error for a failed answer. 429 waits for the reset (Retry-After, or `resetAtMs` read from a platform
 * header/body), 408/5xx retry, 401/403/404/410 are permanent with `fix` telling the operator what to do.
 */
export function errorForAnswer(answer: HttpAnswer, what: string, detail: string, fix: { auth?: string; gone?: string; rejected?: string } = {}, resetAtMs?: number): ChannelError {
  const { status } = answer;
  const short = detail.replace(/\s+/g, ' ').slice(0, 300);
  if (status === 429) {
    const until = resetAtMs ?? retryAfterToMs(answer.headers.get('retry-after')) ?? Date.now() + 60_000;
    return new RateLimitedError(until, `${what} rate-limited the request (HTTP 429) until ${new Date(until).toISOString()}`);
  }
  if (status === 408 || status >= 500) return new RetryableError(`${what} answered HTTP ${status}: ${short}`);
  if (status >= 300 && status < 400) {
    return new PermanentError(`${what} answered with a redirect (HTTP ${status}); Herald does not re-send a post elsewhere: set the URL it redirects to`);
  }
  if (status === 401 || status === 403) return new PermanentError(`${what} refused the credentials (HTTP ${status}): ${short}. ${fix.auth ?? ''}`.trim());
  if (status === 404 || status === 410) return new PermanentError(`${what} was not found (HTTP ${status}): ${short}. ${fix.gone ?? ''}`.trim());
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
export async function callWebhook(request: HttpRequest & { fix?: WebhookFix; resetAt?: (answer: HttpAnswer) => number | undefined }): Promise<HttpAnswer> {
  const answer = await httpCall(request);
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw errorForAnswer(answer, request.what, describeBody(answer), request.fix, answer.status === 429 ? request.resetAt?.(answer) : undefined);
}

/** The platform's own words from an error body: `message`, `errors[]`, `error.message`, or the text. */
export function describeBody(answer: HttpAnswer): string {
  const j = answer.json as { message?: unknown; errors?: unknown; error?: unknown } | undefined;
  if (j && typeof j === 'object') {
    if (Array.isArray(j.errors)) return j.errors.map(String).join('; ');
    if (typeof j.message === 'string') return j.message;
    if (j.error && typeof j.error === 'object' && typeof (j.error as { message?: unknown }).message === 'string') return (j.error as { message: string }).message;
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

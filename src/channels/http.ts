import { PermanentError, RateLimitedError, RetryableError, retryAfterToMs, type ChannelError } from '../errors.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
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
 * One HTTP call for the chat channels. Never throws anything but the typed channel errors for transport
 * problems; the caller maps HTTP statuses (each platform words its errors differently). Error messages name
 * `what`, never the URL: webhook URLs carry their secret in the path.
 */
export async function httpCall(request: HttpRequest): Promise<HttpAnswer> {
  const signals = [AbortSignal.timeout(request.timeoutMs ?? 15_000)];
  if (request.signal) signals.push(request.signal);
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | URLSearchParams | undefined;
  if (typeof request.body === 'string' || request.body instanceof URLSearchParams) body = request.body;
  else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method ?? 'POST', headers, body, signal: AbortSignal.any(signals), redirect: request.followRedirects ? 'follow' : 'error' });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? 'timed out' : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    // A timeout after the request left may still have posted: the worker's reconcile covers the crash case,
    // and for a plain retry the platform's own duplicate handling is all we have (said in docs/channels-chat.md).
    throw new RetryableError(`${request.what} could not be reached: ${reason}`);
  }
  const text = await response.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
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

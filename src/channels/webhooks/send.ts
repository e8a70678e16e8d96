import http from 'node:http';
import https from 'node:https';
import { RetryableError, PermanentError, RecipientRejectedError, type ChannelError, noAnswerError } from '../errors.js';
import { UnsafeUrlError, checkWebhookUrlForm, guardedLookup, resolveSafeAddresses } from '../../lib/ssrf.js';

export interface PostResult {
  status: number;
}

/**
 * POSTs to a subscriber's URL with the SSRF guard: the URL's form is checked, the host is resolved and every
 * address checked, and the socket connects to a checked address (lookup on the request), so a DNS answer
 * that changes between check and connect cannot point it inward. Redirects are never followed.
 */
export async function guardedPost(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean; timeoutMs: number; signal?: AbortSignal },
): Promise<PostResult> {
  const policy = { allowPrivate: options.allowPrivate };
  let url: URL;
  try {
    url = checkWebhookUrlForm(rawUrl, policy);
    await resolveSafeAddresses(url.hostname, policy); // IP literals skip the lookup hook: checked here
  } catch (error) {
    if (error instanceof UnsafeUrlError)
      throw error.unresolved
        ? new RetryableError(error.message)
        : new PermanentError(`webhook URL refused: ${error.message}`);
    throw error;
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Herald-Webhooks/1',
          'content-length': Buffer.byteLength(body).toString(),
          ...headers,
        },
        lookup: guardedLookup(policy),
        timeout: options.timeoutMs,
        signal: options.signal,
        agent: false,
      },
      (response) => {
        response.resume(); // the body is not needed; drain it
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', (err) => reject(err));
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.end(body);
  }).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof RetryableError || error instanceof PermanentError) throw error;
    if (error.code === 'EHERALDUNSAFE') throw new PermanentError(`webhook URL refused: ${error.message}`);
    throw noAnswerError(`webhook endpoint unreachable: ${error.code ?? ''} ${error.message}`.trim(), error);
  });
}

/** 2xx delivered; 410 Gone disables the endpoint; 3xx refused (no redirects); everything else retried. */
export function webhookStatusError(status: number): ChannelError | null {
  if (status >= 200 && status < 300) return null;
  if (status === 410)
    return new RecipientRejectedError('endpoint answered 410 Gone: disabled, it gets no more deliveries', 'disable');
  if (status >= 300 && status < 400)
    return new RetryableError(
      `endpoint answered a redirect (${status}); webhook deliveries never follow redirects: subscribe the final URL`,
    );
  return new RetryableError(`endpoint answered HTTP ${status}`);
}

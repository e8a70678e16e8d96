// CDN purges after a publish: a CloudFront invalidation through its SDK, or a POST to a purge webhook (a CDN's purge
// API, or a script of yours). Pages are also short-lived in caches (Cache-Control max-age=30), so a purge that fails
// leaves a copy at most that much behind; it is logged, never fails the publish.
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { checkWebhookUrlForm, guardedLookup, resolveSafeAddresses } from '../lib/ssrf.js';

/** Invalidates the changed paths in a CloudFront distribution in front of the target. */
export interface CloudFrontPurge {
  type: 'cloudfront';
  distributionId: string;
  /** Where the target's files sit under the distribution's root, e.g. `status/`; default the root. */
  pathPrefix?: string;
  /** API endpoint (tests, or a CloudFront-compatible service); default AWS's. */
  endpoint?: string;
  /** Default: the AWS SDK's credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * POSTs `{target, stamp, publishedAt, paths, urls}` as JSON to a URL (a CDN's purge endpoint, or your own), with
 * the same SSRF guard as webhooks: no loopback or private addresses unless `allowPrivate`.
 */
export interface WebhookPurge {
  type: 'webhook';
  url: string;
  /** E.g. the CDN's `Authorization` header. */
  headers?: Record<string, string>;
  allowPrivate?: boolean;
  /** Default 10 s. */
  timeoutMs?: number;
}

export type PurgeOption = CloudFrontPurge | WebhookPurge;

/** Past this many paths an invalidation names the whole prefix (`/status/*`): CloudFront bills per path. */
const MAX_PATHS = 30;

export interface PurgeRequest {
  target: string;
  stamp: string;
  publishedAt?: string;
  /** Site paths written or deleted at the target. */
  paths: string[];
  /** The page's address (HERALD_PUBLIC_URL), for the absolute URLs a webhook gets. */
  publicUrl: string;
}

/** The URL paths to invalidate for site paths: `index.html` also as its directory (`/`), many as one wildcard. */
export function invalidationPaths(paths: string[], prefix = ''): string[] {
  const base = `/${prefix.replace(/^\/+|\/+$/g, '')}${prefix.replace(/^\/+|\/+$/g, '') ? '/' : ''}`;
  const out = new Set<string>();
  for (const p of paths) {
    out.add(base + p);
    if (p === 'index.html' || p.endsWith('/index.html')) out.add(base + p.slice(0, -'index.html'.length));
  }
  return out.size > MAX_PATHS ? [`${base}*`] : [...out].sort();
}

export function createPurger(option: PurgeOption): (request: PurgeRequest) => Promise<void> {
  if (option.type === 'cloudfront') {
    // The AWS SDK is loaded at the first purge: a process that never purges does not carry it.
    const cloudfront = lazy(async () => {
      const sdk = await import('@aws-sdk/client-cloudfront');
      const client = new sdk.CloudFrontClient({
        region: 'us-east-1',
        endpoint: option.endpoint,
        credentials: option.credentials,
        maxAttempts: 3,
      });
      return { sdk, client };
    });
    return async (request) => {
      const { sdk, client } = await cloudfront();
      const items = invalidationPaths(request.paths, option.pathPrefix);
      await client.send(
        new sdk.CreateInvalidationCommand({
          DistributionId: option.distributionId,
          InvalidationBatch: {
            // Unique per purge: the same reference with other paths is refused by CloudFront.
            CallerReference: `herald-${request.stamp}-${randomBytes(6).toString('hex')}`,
            Paths: { Quantity: items.length, Items: items },
          },
        }),
      );
    };
  }
  if (option.type === 'webhook') {
    checkWebhookUrlForm(option.url, { allowPrivate: Boolean(option.allowPrivate) });
    return async (request) => {
      const base = request.publicUrl.replace(/\/+$/, '');
      const paths = invalidationPaths(request.paths);
      const body = JSON.stringify({
        target: request.target,
        stamp: request.stamp,
        publishedAt: request.publishedAt,
        paths,
        urls: paths.map((p) => base + p),
      });
      const status = await postGuarded(option, body);
      if (status < 200 || status >= 300) throw new Error(`purge webhook answered ${status}`);
    };
  }
  throw new Error(`unknown purge type '${(option as { type: string }).type}'; use 'cloudfront' or 'webhook'`);
}

/** A POST through the SSRF guard: every resolved address checked, the socket bound to a checked one, no redirects. */
async function postGuarded(option: WebhookPurge, body: string): Promise<number> {
  const policy = { allowPrivate: Boolean(option.allowPrivate) };
  const url = checkWebhookUrlForm(option.url, policy);
  await resolveSafeAddresses(url.hostname, policy);
  const timeoutMs = option.timeoutMs ?? 10_000;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Herald-Purge/1',
          'content-length': Buffer.byteLength(body).toString(),
          ...option.headers,
        },
        lookup: guardedLookup(policy),
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`purge webhook: no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** `make` run once, at the first call; a failed attempt is tried again at the next. */
function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
}

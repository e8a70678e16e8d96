// Content codings for the site's text files served by `herald serve`. During an outage the public JSON and pages
// are what everyone reloads, and an incident with many updates makes them large: Brotli brings a 3.5 MB
// incidents.json to a few percent of that. Each file is compressed once per content (see SiteFileCache).
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import Negotiator from 'negotiator';

export type ContentCoding = 'br' | 'gzip';

const COMPRESSIBLE = /\.(html|css|json|rss|atom|ics|txt|xml|svg|js)$/;
/** Below this a coding saves too little to be worth its headers and CPU: such files go as they are. */
export const MIN_COMPRESS_BYTES = 1_024;
const PREFERENCE = ['br', 'gzip', 'identity'];

/** Whether `path`'s answer depends on Accept-Encoding (so caches must key on it: Vary). */
export function mayCompress(path: string): boolean {
  return COMPRESSIBLE.test(path);
}

/**
 * The coding to send a file in, or null for its bytes as they are: the client's preference by q-value, Brotli
 * on a tie. A header that refuses every coding, identity included, still gets the bytes as they are.
 */
export function codingFor(acceptEncoding: string | undefined, path: string): ContentCoding | null {
  if (!acceptEncoding || !mayCompress(path)) return null;
  // negotiator 1.x takes the server's preference for ties; @types/negotiator describes 0.6.
  const negotiator = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }) as unknown as {
    encoding(available: string[], options: { preferred: string[] }): string | undefined;
  };
  const chosen = negotiator.encoding(PREFERENCE, { preferred: PREFERENCE });
  return chosen === 'br' || chosen === 'gzip' ? chosen : null;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Compresses in libuv's thread pool. Brotli quality 5: near gzip's speed, a better ratio than gzip -9. */
export function compress(content: Buffer, coding: ContentCoding): Promise<Buffer> {
  if (coding === 'gzip') return gzipAsync(content);
  return brotli(content, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
    },
  });
}

/** A strong validator for one coding of a file: it must differ from the identity's (RFC 9110 8.8.3.3). */
export function codedEtag(etag: string, coding: ContentCoding | null): string {
  return coding === null ? etag : `${etag.slice(0, -1)}-${coding}"`;
}

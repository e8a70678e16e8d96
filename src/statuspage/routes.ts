import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { codingFor, mayCompress } from './compression.js';
import { cacheControlOf, contentTypeOf } from './content-types.js';
import { type Representation, SiteFileCache } from './file-cache.js';
import { EMBED_PAGE, embedFrameAncestors, embedHeaders, securityHeaders } from './security-headers.js';

/** Where the built site is, and how to build it when nothing is there yet (when a status page channel exists). */
export interface StatusPageFiles {
  dir: string;
  build?: () => Promise<unknown>;
  /** Herald's own address (HERALD_APP_URL), which the subscribe form posts to and its script asks. */
  appUrl?: string;
  /** Who may frame embed.html (`site.embedAncestors`); default anyone (DEFAULT_EMBED_ANCESTORS). */
  embedAncestors?: readonly string[];
}

/**
 * `GET /`, the static site and `GET /api/v2/*.json`, read from the site's directory so a rebuild by any process
 * shows within milliseconds.
 */
export async function statusPageRoutes(
  app: FastifyInstance,
  { dir, build, appUrl, embedAncestors }: StatusPageFiles,
): Promise<void> {
  let firstBuild: Promise<unknown> | undefined;
  const files = new SiteFileCache(dir);
  const pageHeaders = securityHeaders(appUrl);
  const widgetHeaders = embedHeaders(appUrl, embedFrameAncestors(embedAncestors));
  const headersOf = (path: string) => (path === EMBED_PAGE ? widgetHeaders : pageHeaders);

  const serve = async (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const relative = safePath(path);
    if (relative === null) return reply.callNotFound();
    const find = (path: string) => files.get(path, codingFor(request.headers['accept-encoding'], path));
    let file = await find(relative);
    if (file === null && relative === 'index.html' && build) {
      // Nothing built yet (fresh install, no update so far): build once, then serve.
      firstBuild ??= build().catch((error) => {
        firstBuild = undefined;
        request.log.warn({ err: (error as Error).message }, 'first status site build failed');
      });
      await firstBuild;
      file = await find(relative);
    }
    if (file === null && !/\.[a-z0-9]+$/.test(relative)) {
      file = await find(`${relative}.html`);
      if (file !== null) return send(request, reply, `${relative}.html`, file, headersOf(`${relative}.html`));
    }
    if (file === null) {
      // The site's own 404 page, as a static host configured with it as its error document serves it.
      const missing = wantsPage(request, relative) ? await find('404.html') : null;
      if (missing === null) return reply.callNotFound();
      reply.status(404);
      return send(request, reply, '404.html', missing, pageHeaders);
    }
    return send(request, reply, relative, file, headersOf(relative));
  };

  app.get('/', (request, reply) => serve(request, reply, 'index.html'));
  app.get('/*', (request, reply) => serve(request, reply, (request.params as { '*': string })['*']));
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  file: Representation,
  headers: Readonly<Record<string, string>>,
) {
  reply.headers(headers);
  reply.header('etag', file.etag);
  reply.header('cache-control', cacheControlOf(path));
  reply.header('content-type', contentTypeOf(path));
  if (mayCompress(path)) reply.header('vary', 'accept-encoding');
  // Machine-readable files are read by other sites' scripts (dashboards, web calendars).
  if (path.startsWith('api/') || /\.(rss|atom|ics)$/.test(path)) reply.header('access-control-allow-origin', '*');
  if (matches(request.headers['if-none-match'], file.etag)) return reply.status(304).send();
  if (file.coding !== null) reply.header('content-encoding', file.coding);
  return reply.send(file.body);
}

/** A browser asking for a page (not the JSON API, not a script): it gets the site's 404 page. */
function wantsPage(request: FastifyRequest, path: string): boolean {
  return !path.startsWith('api/') && /text\/html/.test(String(request.headers.accept ?? ''));
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === etag || tag === '*';
  });
}

/** The site-relative path, or null for anything outside the site: traversal, hidden files, odd bytes. */
function safePath(path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.split('?')[0] ?? '');
  } catch {
    return null;
  }
  if (decoded === '' || decoded.endsWith('/')) decoded += 'index.html';
  if (/[\0\\]/.test(decoded)) return null;
  const parts = decoded.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.'))) return null;
  return parts.join('/');
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { codingFor, mayCompress } from './compression.js';
import { cacheControlOf, contentTypeOf } from './content-types.js';
import { type Representation, SiteFileCache } from './file-cache.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Where the built site is, and how to build it when nothing is there yet (when a status page channel exists). */
export interface StatusPageFiles {
  dir: string;
  build?: () => Promise<unknown>;
}

/**
 * `GET /`, the static site and `GET /api/v2/*.json`, read from the site's directory so a rebuild by any process
 * shows within milliseconds.
 */
export async function statusPageRoutes(app: FastifyInstance, { dir, build }: StatusPageFiles): Promise<void> {
  let firstBuild: Promise<unknown> | undefined;
  const files = new SiteFileCache(dir);

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
      if (file !== null) return send(request, reply, `${relative}.html`, file);
    }
    if (file === null) return reply.callNotFound();
    return send(request, reply, relative, file);
  };

  app.get('/', (request, reply) => serve(request, reply, 'index.html'));
  app.get('/*', (request, reply) => serve(request, reply, (request.params as { '*': string })['*']));
}

function send(request: FastifyRequest, reply: FastifyReply, path: string, file: Representation) {
  reply.headers(SECURITY_HEADERS);
  reply.header('etag', file.etag);
  reply.header('cache-control', cacheControlOf(path));
  reply.header('content-type', contentTypeOf(path));
  if (mayCompress(path)) reply.header('vary', 'accept-encoding');
  if (path.startsWith('api/') || path.endsWith('.rss') || path.endsWith('.atom'))
    reply.header('access-control-allow-origin', '*');
  if (matches(request.headers['if-none-match'], file.etag)) return reply.status(304).send();
  if (file.coding !== null) reply.header('content-encoding', file.coding);
  return reply.send(file.body);
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

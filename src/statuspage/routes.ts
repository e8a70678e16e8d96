import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Herald } from '../runtime/herald.js';
import { isStatusPageChannel, rebuildStatusSite } from './channel.js';
import { cacheControlOf, contentTypeOf } from './content-types.js';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * `GET /`, the static site and `GET /api/v2/*.json`, read from STATUS_PAGE_DIR (the channel's `dir` when a
 * status page channel is configured) so a rebuild by any process shows within milliseconds.
 */
export async function statusPageRoutes(app: FastifyInstance, herald: Herald): Promise<void> {
  const channel = herald.channels.find(isStatusPageChannel);
  const dir = channel?.site.dir ?? herald.env.statusPageDir;
  let firstBuild: Promise<unknown> | undefined;
  const files = new SiteFileCache(dir);

  const serve = async (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const relative = safePath(path);
    if (relative === null) return reply.callNotFound();
    let content = await files.read(relative);
    if (content === null && relative === 'index.html' && channel) {
      // Nothing built yet (fresh install, no update so far): build once, then serve.
      firstBuild ??= rebuildStatusSite(herald).catch((error) => {
        firstBuild = undefined;
        request.log.warn({ err: (error as Error).message }, 'first status site build failed');
      });
      await firstBuild;
      content = await files.read(relative);
    }
    if (content === null && !/\.[a-z0-9]+$/.test(relative)) {
      content = await files.read(`${relative}.html`);
      if (content !== null) return send(request, reply, `${relative}.html`, content);
    }
    if (content === null) return reply.callNotFound();
    return send(request, reply, relative, content);
  };

  app.get('/', (request, reply) => serve(request, reply, 'index.html'));
  app.get('/*', (request, reply) => serve(request, reply, (request.params as { '*': string })['*']));
}

function send(request: FastifyRequest, reply: FastifyReply, path: string, { content, etag }: SiteFile) {
  reply.headers(SECURITY_HEADERS);
  reply.header('etag', etag);
  reply.header('cache-control', cacheControlOf(path));
  reply.header('content-type', contentTypeOf(path));
  if (path.startsWith('api/') || path.endsWith('.rss') || path.endsWith('.atom')) reply.header('access-control-allow-origin', '*');
  if (matches(request.headers['if-none-match'], etag)) return reply.status(304).send();
  return reply.send(content);
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

interface SiteFile {
  content: Buffer;
  etag: string;
}

/**
 * The site's files in memory, with their ETags. STATUS_PAGE_DIR is a symlink to the current version (see
 * ./tree.ts), so the cache is valid exactly as long as the link points at the same version: a readlink notices a
 * rebuild by any process. A plain directory (no version link) is read from disk every time.
 */
class SiteFileCache {
  private version: string | null = null;
  private versionReadAt = -Infinity;
  private readonly files = new Map<string, SiteFile | null>();

  constructor(private readonly dir: string) {}

  async read(relative: string): Promise<SiteFile | null> {
    const version = this.currentVersion();
    if (version !== this.version) {
      this.files.clear();
      this.version = version;
    }
    if (version !== null && this.files.has(relative)) return this.files.get(relative)!;
    const file = await readFile(join(this.dir, relative)).then(
      (content) => ({ content, etag: `"${createHash('sha256').update(content).digest('base64url').slice(0, 22)}"` }),
      () => null,
    );
    // Misses are not remembered: a file may appear with the next version only.
    if (version !== null && file && this.files.size < 5_000) this.files.set(relative, file);
    return file;
  }

  /**
   * The version link, read at most once per VERSION_RECHECK_MS: under load the public JSON is asked for far more
   * often than that, and each readlink was a few percent of the API process's time. Synchronous on purpose: the
   * async form waits in libuv's thread pool behind the file writes of a rebuild in progress.
   */
  private currentVersion(): string | null {
    const now = performance.now();
    if (now - this.versionReadAt < VERSION_RECHECK_MS) return this.version;
    this.versionReadAt = now;
    try {
      return readlinkSync(this.dir);
    } catch {
      return null;
    }
  }
}

/** How stale the served site may be after another process switched versions: well below anyone's notice. */
const VERSION_RECHECK_MS = 10;

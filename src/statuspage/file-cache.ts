import { readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { compress, type ContentCoding } from './compression.js';
import { hashOf, type Manifest, readManifest } from './tree.js';

export interface SiteFile {
  content: Buffer;
  /** sha256 of the content, hex. */
  hash: string;
  etag: string;
  /** Its compressed forms, made on first request and kept while the file's content stays the same. */
  encodings: Map<ContentCoding, Promise<Buffer>>;
}

interface Version {
  /** The version link's target; null for a plain directory, which is read from disk every time. */
  link: string | null;
  root: string;
  /** The build's hashes of the version's files (./tree.ts): the ETags, with no hashing here. */
  manifest: Manifest;
  files: Map<string, Promise<SiteFile | null>>;
}

/** How stale the served site may be after another process switched versions: well below anyone's notice. */
const VERSION_RECHECK_MS = 10;
const MAX_FILES = 5_000;

/**
 * The site's files in memory, with their ETags. STATUS_PAGE_DIR is a symlink to the current version (see
 * ./tree.ts), so the cache is valid exactly as long as the link points at the same version: a readlink notices a
 * rebuild by any process. A file the rebuild left unchanged (same hash in both manifests) is carried over with its
 * compressed forms; under a stream of updates only the few files that changed are read and compressed again.
 */
export class SiteFileCache {
  private current: Version;
  private previous = new Map<string, Promise<SiteFile | null>>();
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dir: string,
    private readonly recheckMs = VERSION_RECHECK_MS,
  ) {
    this.current = { link: null, root: dir, manifest: {}, files: new Map() };
  }

  /** Concurrent requests for a file share one read (and one compression): a new version meets many at once. */
  read(relative: string): Promise<SiteFile | null> {
    const version = this.version();
    const cached = version.files.get(relative);
    if (cached) return cached;
    const file = this.load(version, relative);
    if (version.link !== null && version.files.size < MAX_FILES) {
      version.files.set(relative, file);
      // Misses are not remembered: a file may appear with the next version only.
      void file.then((found) => found === null && version.files.get(relative) === file && version.files.delete(relative));
    }
    return file;
  }

  private async load(version: Version, relative: string): Promise<SiteFile | null> {
    const hash = version.manifest[relative];
    const before = hash === undefined ? undefined : await this.previous.get(relative);
    if (before && before.hash === hash) return before;

    let content = await readFile(join(version.root, relative)).catch(() => null);
    let trusted = hash;
    if (content === null && version.root !== this.dir) {
      // Pruned meanwhile (two newer versions were published): read the current one, hashing it ourselves.
      content = await readFile(join(this.dir, relative)).catch(() => null);
      trusted = undefined;
    }
    if (content === null) return null;
    const sum = trusted ?? hashOf(content);
    return { content, hash: sum, etag: `"${sum.slice(0, 32)}"`, encodings: new Map() };
  }

  encoded(file: SiteFile, coding: ContentCoding): Promise<Buffer> {
    let encoded = file.encodings.get(coding);
    if (!encoded) {
      encoded = compress(file.content, coding);
      file.encodings.set(coding, encoded);
    }
    return encoded;
  }

  /**
   * The version link, read at most once per VERSION_RECHECK_MS: under load the public JSON is asked for far more
   * often than that, and each readlink was a few percent of the API process's time. Synchronous on purpose, as is
   * the manifest's read: the async forms wait in libuv's thread pool behind the file writes of a rebuild.
   */
  private version(): Version {
    const now = performance.now();
    if (now - this.checkedAt < this.recheckMs) return this.current;
    this.checkedAt = now;
    let link: string | null;
    try {
      link = readlinkSync(this.dir);
    } catch {
      link = null;
    }
    if (link === this.current.link) return this.current;
    this.previous = this.current.files;
    const root = link === null ? this.dir : resolve(dirname(this.dir), link);
    this.current = { link, root, manifest: link === null ? {} : readManifest(root), files: new Map() };
    return this.current;
  }
}

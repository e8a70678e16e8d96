import { readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { codedEtag, compress, type ContentCoding, MIN_COMPRESS_BYTES } from './compression.js';
import { hashOf, type Manifest, readManifest } from './tree.js';

/** A site file as sent: its bytes in one content coding (null: as stored), with the ETag of that form. */
export interface Representation {
  body: Buffer;
  coding: ContentCoding | null;
  etag: string;
  /** sha256 of the stored file, hex: a rebuild that left the file alone gives it the same hash. */
  hash: string;
}

/** A representation being made, and once made, what it is (to carry it over to the next version). */
interface Entry {
  ready: Promise<Representation | null>;
  value?: Representation | null;
}

interface Version {
  /** The version link's target; null for a plain directory, which is read from disk every time. */
  link: string | null;
  root: string;
  /** The build's hashes of the version's files (./tree.ts): the ETags, with no hashing here. */
  manifest: Manifest;
  entries: Map<string, Entry>;
}

/** How stale the served site may be after another process switched versions: well below anyone's notice. */
const VERSION_RECHECK_MS = 10;
const MAX_ENTRIES = 5_000;

/**
 * The site's files in memory, ready to send. STATUS_PAGE_DIR is a symlink to the current version (see ./tree.ts),
 * so the cache is valid exactly as long as the link points at the same version: a readlink notices a rebuild by
 * any process.
 *
 * A new version costs little to the requests that meet it: a file the rebuild left unchanged (same hash in both
 * manifests) is carried over, compressed forms and all, and requests that come together for a changed file share
 * one read and one compression. They wait for it rather than get the previous version's form: whoever just
 * changed the page (the admin API answers once it is rebuilt) must see the change on the next request.
 */
export class SiteFileCache {
  private current: Version;
  private previous = new Map<string, Entry>();
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dir: string,
    private readonly recheckMs = VERSION_RECHECK_MS,
  ) {
    this.current = { link: null, root: dir, manifest: {}, entries: new Map() };
  }

  /** The file at `relative` in `coding` (or as stored when too small to gain), or null when the site has none. */
  async get(relative: string, coding: ContentCoding | null): Promise<Representation | null> {
    const version = this.version();
    // A plain directory is read on every request, so its files go as stored rather than compressed each time.
    if (version.link === null) return this.load(version, relative, null);
    const key = coding === null ? relative : `${relative}\0${coding}`;
    let entry = version.entries.get(key);
    if (!entry) {
      entry = this.entryFor(version, relative, key, coding);
      if (version.entries.size < MAX_ENTRIES) version.entries.set(key, entry);
    }
    return entry.ready;
  }

  private entryFor(version: Version, relative: string, key: string, coding: ContentCoding | null): Entry {
    const before = this.previous.get(key);
    if (before?.value && before.value.hash === version.manifest[relative]) return before;
    const entry: Entry = { ready: this.load(version, relative, coding) };
    void entry.ready.then((value) => {
      entry.value = value;
      // Misses are not remembered: a file may appear with the next version only.
      if (value === null && version.entries.get(key) === entry) version.entries.delete(key);
    });
    return entry;
  }

  private async load(version: Version, relative: string, coding: ContentCoding | null): Promise<Representation | null> {
    let content = await readFile(join(version.root, relative)).catch(() => null);
    let hash = version.manifest[relative];
    if (content === null && version.root !== this.dir) {
      // Pruned meanwhile (two newer versions were published): read the current one, hashing it ourselves.
      content = await readFile(join(this.dir, relative)).catch(() => null);
      hash = undefined;
    }
    if (content === null) return null;
    hash ??= hashOf(content);
    const etag = `"${hash.slice(0, 32)}"`;
    if (coding === null || content.length < MIN_COMPRESS_BYTES) return { body: content, coding: null, etag, hash };
    return { body: await compress(content, coding), coding, etag: codedEtag(etag, coding), hash };
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
    this.previous = this.current.entries;
    const root = link === null ? this.dir : resolve(dirname(this.dir), link);
    this.current = { link, root, manifest: link === null ? {} : readManifest(root), entries: new Map() };
    return this.current;
  }
}

// Atomic publication of a directory tree. `dir` is a symlink to a version directory beside it
// (`.<name>-<stamp>`); a new version is built completely, then the symlink is replaced with rename(2),
// so a reader sees the old site or the new one, never a mix. Unchanged files are hard links to the
// previous version's, so an incremental publish writes only what changed.
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';

export const MANIFEST = '.herald-manifest.json';

/** Site path (posix, relative) → sha256 of its content. */
export type Manifest = Record<string, string>;

export const hashOf = (content: string | Uint8Array) => createHash('sha256').update(content).digest('hex');

export interface CommitResult {
  /** Paths whose content differs from the previous version (new or changed). */
  changed: string[];
  removed: string[];
  manifest: Manifest;
  versionDir: string;
}

/** How long a lock holder may go without refreshing the lock (every half of this) before others take it over. */
const SITE_LOCK_STALE_MS = 10_000;
/** Waits for the lock, 5 ms apart at first and then 100 ms, for about 40 s in all: past a dead holder's staleness. */
const SITE_LOCK_RETRIES = { retries: 400, factor: 1.3, minTimeout: 5, maxTimeout: 100 };

/**
 * Runs `fn` holding the site directory's lock, across processes (`.<name>.lock` beside `dir`, a mkdir lock).
 * Every process that rebuilds the site (the API on a component change, each worker on its updates) reads the
 * previous version and the database, and commits, under it: otherwise two rebuilds that overlap both start from
 * the same version and the later commit drops what the other added, or publishes an older snapshot over a newer.
 */
export async function withSiteLock<T>(
  dir: string,
  fn: () => Promise<T>,
  onCompromised: (error: Error) => void,
): Promise<T> {
  dir = resolve(dir);
  await mkdir(dirname(dir), { recursive: true });
  const release = await lockfile.lock(dir, {
    realpath: false,
    lockfilePath: join(dirname(dir), `.${basename(dir)}.lock`),
    stale: SITE_LOCK_STALE_MS,
    retries: SITE_LOCK_RETRIES,
    onCompromised,
  });
  try {
    return await fn();
  } finally {
    // A lock compromised meanwhile (taken over as stale) is no longer ours to release.
    await release().catch(() => undefined);
  }
}

/** The version directory `dir` points at now, or null when nothing was published yet. */
export function currentVersion(dir: string): string | null {
  try {
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) return resolve(dirname(dir), readlinkSync(dir));
    if (stat.isDirectory()) return dir;
  } catch {
    // not there yet
  }
  return null;
}

export function readManifest(versionDir: string | null): Manifest {
  return readNote<Manifest>(versionDir, MANIFEST) ?? {};
}

/** A JSON file commitTree wrote into the version (its manifest, or one of its notes); null when there is none. */
export function readNote<T>(versionDir: string | null, name: string): T | null {
  if (!versionDir) return null;
  try {
    return JSON.parse(readFileSync(join(versionDir, name), 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * Publishes `manifest` at `dir`: files whose hash matches the current version are linked from it, the rest are
 * read through `contentOf`. Afterwards `dir` points at the new version; older versions but the previous one
 * are removed (the previous one stays for readers that opened it a moment ago).
 */
export async function commitTree(
  dir: string,
  manifest: Manifest,
  contentOf: (path: string) => Promise<string | Uint8Array> | string | Uint8Array,
  /** Files about the version rather than of the site (dot-named, never served nor published), e.g. what it rendered. */
  notes: Record<string, string> = {},
  /** The current version and its manifest, when the caller read them under the same lock (saves reading again). */
  known?: { current: string | null; manifest: Manifest },
): Promise<CommitResult> {
  dir = resolve(dir);
  const parent = dirname(dir);
  const name = basename(dir);
  await mkdir(parent, { recursive: true });
  const current = known ? known.current : currentVersion(dir);
  const previous = known ? known.manifest : readManifest(current);
  const stamp = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const versionDir = join(parent, `.${name}-${stamp}`);
  const changed: string[] = [];
  const made = new Set<string>();
  const ensureDir = async (path: string) => {
    const d = dirname(path);
    if (made.has(d)) return;
    await mkdir(d, { recursive: true });
    made.add(d);
  };
  try {
    await mkdir(versionDir);
    made.add(versionDir);
    // Unchanged files (most of them after an incremental build) are hard-linked in one synchronous pass: a link is
    // a few microseconds of kernel time, while an fs promise per file cost several times that on the main thread
    // and as much again on the thread pool (1,000 incident pages make every commit link 1,000 files).
    const toWrite: string[] = [];
    for (const path of Object.keys(manifest)) {
      assertSafePath(path);
      if (
        !current ||
        previous[path] !== manifest[path] ||
        // Plain concatenation: assertSafePath vouched for `path`, and path.join's normalising showed in profiles.
        !linkSyncOrCopy(`${current}/${path}`, `${versionDir}/${path}`, made)
      )
        toWrite.push(path);
    }
    await inBatches(toWrite, 32, async (path) => {
      const target = join(versionDir, path);
      await ensureDir(target);
      if (previous[path] !== manifest[path]) changed.push(path);
      await writeFile(target, await contentOf(path));
    });
    await writeFile(join(versionDir, MANIFEST), JSON.stringify(manifest));
    for (const [name, content] of Object.entries(notes)) {
      if (!/^\.herald-[a-z-]+\.json$/.test(name)) throw new Error(`'${name}' is not a version note's name`);
      await writeFile(join(versionDir, name), content);
    }
    await swap(dir, versionDir, current);
  } catch (error) {
    await rm(versionDir, { recursive: true, force: true });
    throw error;
  }
  await prune(parent, name, versionDir, current);
  const removed = Object.keys(previous).filter((p) => !(p in manifest));
  return { changed: changed.sort(), removed, manifest, versionDir };
}

async function swap(dir: string, versionDir: string, current: string | null) {
  const tmpLink = join(dirname(dir), `.${basename(dir)}-link-${randomBytes(4).toString('hex')}`);
  await symlink(basename(versionDir), tmpLink);
  if (current === dir) {
    // A plain directory from before Herald managed it: move it aside once (the only non-atomic moment).
    await rename(dir, join(dirname(dir), `.${basename(dir)}-legacy-${Date.now().toString(36)}`));
  }
  await rename(tmpLink, dir);
}

/**
 * Removes versions older than the previous one. Another process may be building a version right now, so only
 * versions whose stamp is older than PRUNE_AFTER_MS are candidates.
 */
async function prune(parent: string, name: string, keep: string, previous: string | null) {
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-([0-9a-z]+)-[0-9a-f]{6}$`);
  const cutoff = Date.now() - PRUNE_AFTER_MS;
  const entries = await readdir(parent);
  // Synchronously: a version holds a link per file of the site, and an fs promise per unlink cost several
  // times the unlink itself.
  for (const path of entries
    .filter((e) => {
      const m = pattern.exec(e);
      return m !== null && parseInt(m[1]!, 36) < cutoff;
    })
    .map((e) => join(parent, e))
    .filter((p) => p !== keep && p !== previous && !pinned.has(p)))
    rmSync(path, { recursive: true, force: true });
}

const PRUNE_AFTER_MS = 10_000;

/** Version directories a publish in this process still reads from (see pinVersion): never pruned meanwhile. */
const pinned = new Map<string, number>();

/**
 * Keeps a version directory from being pruned while it is published from (targets publish after the site lock is
 * released, so later builds go on meanwhile). Returns the release; releasing twice is harmless.
 */
export function pinVersion(versionDir: string): () => void {
  const dir = resolve(versionDir);
  pinned.set(dir, (pinned.get(dir) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (pinned.get(dir) ?? 1) - 1;
    if (left > 0) pinned.set(dir, left);
    else pinned.delete(dir);
  };
}

/** Links `from` at `to` (copies it where links fail); false when `from` is gone. Creates `to`'s directory once. */
function linkSyncOrCopy(from: string, to: string, made: Set<string>): boolean {
  const d = to.slice(0, to.lastIndexOf('/'));
  if (!made.has(d)) {
    mkdirSync(d, { recursive: true });
    made.add(d);
  }
  try {
    linkSync(from, to);
    return true;
  } catch {
    try {
      copyFileSync(from, to);
      return true;
    } catch {
      return false;
    }
  }
}

function assertSafePath(path: string) {
  if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`refusing to write '${path}' outside the site directory`);
  }
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join, sep } from 'node:path';

/** Longest template the console saves (characters). */
export const MAX_TEMPLATE_LENGTH = 100_000;

export class TemplateFileError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
  }
}

const KIND = /^[a-z0-9_-]+$/i;
const FILE = /^[a-z0-9][a-z0-9._-]*\.hbs$/i;

/** Template files of a channel kind, by what is on disk: templates/<kind>/*.hbs (no backups, no temp files). */
export function templateFiles(dir: string, kind: string): string[] {
  const folder = join(dir, kind);
  if (!KIND.test(kind) || !existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => FILE.test(f))
    .sort();
}

export const sourceHash = (source: string) => createHash('sha256').update(source).digest('hex').slice(0, 32);

/**
 * The path of templates/<kind>/<file>, or a TemplateFileError: the kind and file must be plain names, the file
 * must exist already (the console edits templates, it does not create them), and its real path must stay inside
 * the templates directory (no `..`, no symbolic link out).
 */
export function templatePath(dir: string, kind: string, file: string): string {
  if (!KIND.test(kind) || !FILE.test(file) || file.includes('..') || !templateFiles(dir, kind).includes(file)) {
    throw new TemplateFileError(
      `kind/file: there is no template ${kind}/${file}; pick one from the Templates page`,
      404,
    );
  }
  const path = join(dir, kind, file);
  if (lstatSync(path).isSymbolicLink())
    throw new TemplateFileError(`${kind}/${file} is a symbolic link; edit the file it points to on disk`, 400);
  const root = realpathSync(dir) + sep;
  if (!realpathSync(path).startsWith(root))
    throw new TemplateFileError(`${kind}/${file} is outside the templates directory`, 400);
  return path;
}

export const backupPath = (path: string) => `${path}.bak`;

/** Writes `content` to `path` atomically: a temp file in the same folder, fsync, rename over. */
function writeAtomic(path: string, content: string) {
  const folder = path.slice(0, path.lastIndexOf(sep));
  const tmp = join(folder, `.${path.slice(folder.length + 1)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Saves a template: the version on disk becomes `<file>.bak` (so one bad edit can be undone), then the new
 * source replaces the file atomically. `expectedHash` is the hash of the version the editor started from:
 * if the file changed since (another commander, a deploy), nothing is written.
 */
export function saveTemplateFile(
  dir: string,
  kind: string,
  file: string,
  source: string,
  expectedHash: string | undefined,
): { changed: boolean } {
  const path = templatePath(dir, kind, file);
  const current = readFileSync(path, 'utf8');
  if (expectedHash && sourceHash(current) !== expectedHash) {
    throw new TemplateFileError(
      `${kind}/${file} changed on disk since you opened it; reload the page, then apply your edit again`,
      409,
    );
  }
  if (current === source) return { changed: false };
  writeAtomic(backupPath(path), current);
  writeAtomic(path, source);
  return { changed: true };
}

/** Swaps the template with its `.bak` (so a restore can itself be undone). */
export function restoreTemplateFile(dir: string, kind: string, file: string): string {
  const path = templatePath(dir, kind, file);
  const bak = backupPath(path);
  if (!existsSync(bak) || lstatSync(bak).isSymbolicLink())
    throw new TemplateFileError(`${kind}/${file} has no previous version to restore`, 404);
  const previous = readFileSync(bak, 'utf8');
  const current = readFileSync(path, 'utf8');
  writeAtomic(bak, current);
  writeAtomic(path, previous);
  return previous;
}

export function hasBackup(dir: string, kind: string, file: string): boolean {
  const bak = backupPath(join(dir, kind, file));
  return existsSync(bak) && !lstatSync(bak).isSymbolicLink();
}

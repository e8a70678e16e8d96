import { chmodSync, closeSync, existsSync, fchmodSync, fstatSync, mkdirSync, openSync } from 'node:fs';

/**
 * Files that hold secrets (the database with webhook secrets and password hashes, HERALD_SECRET's file, the log
 * channel's messages) are the owner's alone: 0600, and 0700 for a directory of them. The modes are set after
 * creation, so they hold whatever the umask (it only ever takes bits away, and a umask of 0 takes none).
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** The directory (and any missing parent) exists and is 0700. */
export function makePrivateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  chmodSync(path, PRIVATE_DIRECTORY_MODE);
}

/**
 * The file is 0600: created empty when missing (with `create`), tightened when it exists with more open bits (a
 * file from an earlier Herald). A file Herald does not own and so cannot change is left as it is.
 */
export function makePrivateFile(path: string, options: { create: boolean }): void {
  if (!options.create && !existsSync(path)) return;
  const fd = openSync(path, 'a', PRIVATE_FILE_MODE);
  try {
    if ((fstatSync(fd).mode & 0o777) !== PRIVATE_FILE_MODE) fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  } finally {
    closeSync(fd);
  }
}

import { dirname } from 'node:path';
import { openDatabase, pgDriver } from '../store/db.js';

/** A start-up failure the operator fixes: `herald` prints its message as one line, without a stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}

interface SystemError {
  code?: string;
  path?: string;
  syscall?: string;
  hostname?: string;
  message?: string;
}

const PG_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens the database once before anything else starts, so a wrong DATABASE_URL is told as what it is (nothing
 * answers, no such database, a path that cannot be written) instead of as a failed migration with a stack.
 */
export async function checkDatabase(url: string): Promise<void> {
  if (/^postgres(ql)?:\/\//.test(url)) return checkPostgres(url);
  try {
    const { db } = openDatabase(url);
    await db.destroy();
  } catch (error) {
    throw new StartupError(sqliteProblem(error as SystemError, url));
  }
}

async function checkPostgres(url: string): Promise<void> {
  const client = new (pgDriver().Client)({ connectionString: url, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new StartupError(postgresProblem(error as SystemError, new URL(url)));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function postgresProblem(error: SystemError, url: URL): string {
  const at = `PostgreSQL at ${url.hostname}:${url.port || '5432'} (DATABASE_URL)`;
  const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  const user = decodeURIComponent(url.username) || 'the default user';
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${at} refused the connection; check that PostgreSQL is running and that DATABASE_URL names its host and port`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host '${url.hostname}' in DATABASE_URL does not resolve; check the host name in DATABASE_URL`;
    case '3D000':
      return `${at} has no database '${database}'; create it (createdb ${database}) or fix the name in DATABASE_URL`;
    case '28000':
    case '28P01':
      return `${at} refused user '${user}' (${error.message}); fix the user and password in DATABASE_URL`;
    case '57P03':
      return `${at} is starting up or shutting down; start Herald again when it accepts connections`;
  }
  return `${at} did not accept a connection (${error.message ?? error.code}); check that PostgreSQL is running and reachable from this machine`;
}

function sqliteProblem(error: SystemError, url: string): string {
  const reason = (() => {
    switch (error.code) {
      case 'EACCES':
      case 'EPERM':
        return `permission denied on ${error.path}`;
      case 'EROFS':
        return `${error.path} is on a read-only file system`;
      case 'EEXIST':
      case 'ENOTDIR':
        return `${error.syscall === 'mkdir' ? error.path : dirname(error.path ?? url)} is a file, not a directory`;
      case 'EISDIR':
        return `${error.path} is a directory, not a file`;
      case 'ENOENT':
        return `${error.path} cannot be created there`;
      case 'SQLITE_NOTADB':
        return 'the file is not a SQLite database';
      case 'SQLITE_CANTOPEN':
      case 'SQLITE_READONLY':
      case 'SQLITE_PERM':
        return `SQLite cannot write it (${error.message})`;
    }
    return undefined;
  })();
  if (!reason) throw error;
  const fix =
    error.code === 'SQLITE_NOTADB'
      ? "point DATABASE_URL at Herald's database or at a new file"
      : 'set DATABASE_URL to a file in a directory this user can write';
  return `cannot open the SQLite database ${url} (DATABASE_URL): ${reason}; ${fix}`;
}

/** Why `listen` failed, for the operator; undefined for an error that is not about the address. */
export function listenProblem(error: SystemError, host: string, port: number): StartupError | undefined {
  switch (error.code) {
    case 'EADDRINUSE':
      return new StartupError(
        `port ${port} on ${host} is already in use; stop the process that holds it, or set PORT (or --port) to a free port`,
      );
    case 'EACCES':
      return new StartupError(
        `port ${port} on ${host} needs privileges this user does not have; use a port above 1023 (PORT or --port), behind a reverse proxy`,
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `HOST ${host} is not an address of this machine; set HOST to one of its addresses, or 0.0.0.0 for all of them`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`HOST '${host}' does not resolve; set HOST to an address of this machine, e.g. 0.0.0.0`);
  }
  return undefined;
}

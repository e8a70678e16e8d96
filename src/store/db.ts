import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { lazyRequire } from '../lib/lazy-require.js';
import { makePrivateFile } from '../lib/private-files.js';
import type { Executor } from './executor.js';
import { migrationProvider } from './migrations/index.js';
import { isTemplateSql } from './prepared.js';
import { MAIN_CONNECTION_AUTOCHECKPOINT_PAGES, startCheckpointer } from './sqlite-checkpointer.js';
import { HeraldSqliteDialect, isSqliteBusy } from './sqlite-driver.js';
import type { Database } from './schema.js';

export { isSqliteBusy };

export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** For logs: the URL with any password masked. */
  description: string;
}

/**
 * The PostgreSQL driver, loaded when a PostgreSQL database is first opened: a process on SQLite does not carry it
 * (about 14 MB of RSS and 3 MB of heap).
 */
export const pgDriver = lazyRequire<typeof pg>('pg');

/** `postgres://…` → PostgreSQL; a path or `file:` URL → SQLite (WAL, foreign keys on). */
export function openDatabase(url: string): OpenedDatabase {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Every wait is bounded: a query on a connection whose server died (crash, failover) errors out instead of
    // hanging a worker forever, and the job retries on a fresh connection.
    const pool = new (pgDriver().Pool)({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: 5_000,
      query_timeout: 30_000,
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
      keepAlive: true,
    });
    // A client losing its server (PostgreSQL restart) must not crash the process: the pool's 'error' covers idle
    // clients, and each client gets its own listener for the time it is checked out (between a transaction's
    // queries, say). The query that then runs on it fails, its job retries, and the pool drops the dead client.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
      nameTemplateStatements(client);
    });
    const masked = new URL(url);
    if (masked.password) masked.password = '***';
    return {
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      dialect: 'postgres',
      description: masked.toString(),
    };
  }
  const path = url.startsWith('file:') ? fileURLToPath(new URL(url, `file://${process.cwd()}/`)) : resolve(url);
  mkdirSync(dirname(path), { recursive: true });
  // The file holds webhook secrets and password hashes: 0600. SQLite gives the -wal and -shm files it creates the
  // database file's mode; ones left by an earlier run are tightened here as well.
  for (const file of [path, `${path}-wal`, `${path}-shm`]) makePrivateFile(file, { create: file === path });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // Waits for another process's write lock happen in JavaScript (see sqlite-driver.ts), not in SQLite's own busy
  // handler, which sleeps on the main thread and so stops the whole process: a short wait here only.
  sqlite.pragma(`busy_timeout = ${SQLITE_SYNC_WAIT_MS}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`wal_autocheckpoint = ${MAIN_CONNECTION_AUTOCHECKPOINT_PAGES}`);
  const checkpointer = startCheckpointer(path);
  return {
    db: new Kysely<Database>({ dialect: new HeraldSqliteDialect(withStatementCache(sqlite), checkpointer) }),
    dialect: 'sqlite',
    description: path,
  };
}

/** Statement names by SQL text, the same on every connection; at most this many (then statements go unnamed). */
const statementNames = new Map<string, string>();
const STATEMENT_NAMES_MAX = 2_000;
let statementsNamed = 0;
/** Never reused: a connection refuses one name for two texts. */
const newStatementName = () => `herald_${++statementsNamed}`;

/**
 * On this connection the queries built by `prepared()` (store/prepared.ts) run as named statements: PostgreSQL
 * parses and plans each once per connection instead of on every call. On bench/publish that took PostgreSQL's
 * p50 publish→delivered from 8.6–9.2 to 6.8–7.8 ms and its burst rate from 330–340 to 425–435 updates/s.
 * A migration that changes a table under a `select *` makes PostgreSQL refuse the statement once ("cached plan
 * must not change result type"): the text then gets a new name, so every connection prepares it afresh. Outside
 * a transaction the query is run again at once (the check comes before anything runs); inside one the error
 * stands, and the transaction's caller retries as after any failed transaction.
 */
function nameTemplateStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  let inTransaction = false;
  const named = async (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    let name = statementNames.get(text);
    if (!name && statementNames.size < STATEMENT_NAMES_MAX) statementNames.set(text, (name = newStatementName()));
    if (!name) return query(text, values);
    try {
      return await query({ name, text, values });
    } catch (error) {
      if (!isStalePlan(error)) throw error;
      statementNames.set(text, newStatementName());
      if (inTransaction) throw error;
      return query({ name: statementNames.get(text), text, values });
    }
  };
  (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text !== 'string' || args.length !== 2 || !Array.isArray(values)) return query(...args);
    if (/^\s*(begin|start transaction)\b/i.test(text)) inTransaction = true;
    else if (/^\s*(commit|rollback)\s*$/i.test(text)) inTransaction = false;
    return isTemplateSql(text) ? named(text, values) : query(text, values);
  };
}

const isStalePlan = (error: unknown) =>
  (error as { code?: string } | null)?.code === '0A000' &&
  /cached plan must not change result type/.test(String((error as Error).message));

/** SQLite's own busy handler waits at most this long (it sleeps on the main thread): see sqlite-driver.ts. */
const SQLITE_SYNC_WAIT_MS = 5;

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, and preparing is a large share of
 * a small query's cost. Keep the most recent few hundred by SQL text (Kysely's SQL is parameterised).
 */
function withStatementCache(sqlite: SQLite.Database, size = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let statement = cache.get(source);
        if (statement) {
          cache.delete(source);
        } else {
          statement = prepare(source);
          if (cache.size >= size) cache.delete(cache.keys().next().value!);
        }
        cache.set(source, statement);
        return statement;
      };
    },
  });
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** One trivial round trip: resolves when the database answers, rejects with the driver's error otherwise. */
export async function pingDatabase(db: Executor): Promise<void> {
  await sql`select 1`.execute(db);
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The database is unreachable (as opposed to a bad query): the API answers 503. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      '57P01',
      '57P02',
      '57P03',
      '08006',
      '08001',
      '08003',
      'SQLITE_CANTOPEN',
    ].includes(e.code ?? '')
  )
    return true;
  if (isSqliteBusy(e)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}

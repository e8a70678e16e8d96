import type SQLite from 'better-sqlite3';
import { type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, SqliteDialect } from 'kysely';
import type { Checkpointer } from './sqlite-checkpointer.js';

/**
 * Herald's SQLite dialect: Kysely's, with the driver below.
 *
 * Write transactions share their COMMIT when they queue up behind each other (group commit). Most of what a small
 * write transaction costs SQLite here is its commit: a log frame for every page it changed (two writes each) and
 * the lock calls around it. The transactions that queue on the one connection in a burst (publishes, and the
 * workers' claims and records, single writes that join a batch or, issued together, share one: see execute) change
 * the same few pages: committed together, each page goes to the log once.
 *
 * How: the first transaction of a batch opens SQLite's write transaction (BEGIN IMMEDIATE); one that starts while
 * a batch is open runs inside a SAVEPOINT of it, so it still rolls back alone, and a single write that fails is
 * undone alone by SQLite itself. When a transaction commits, its caller waits while the connection passes to
 * whoever queued for it; the last in the queue (or the 64th transaction, or one 10 ms after the batch opened)
 * COMMITs, and every transaction of the batch returns. With nobody queued a transaction commits at once, exactly
 * as before. If the COMMIT itself fails (disk full, an I/O error, a deferred constraint: Herald's schema defers
 * none), every transaction of the batch fails and none of them is stored.
 *
 * Reads that queue between two transactions of a batch see its changes before they are committed (the same
 * connection); the transactions' own callers do not go on before the COMMIT.
 */
export class HeraldSqliteDialect extends SqliteDialect {
  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly checkpointer: Checkpointer,
    private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
  ) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    return new GroupCommitSqliteDriver(this.sqlite, this.checkpointer, this.limits);
  }
}

/**
 * When a batch is committed although others still queue: it holds this many transactions, or is this old.
 * Exported for the group-commit tests, which open a dialect with a longer window to make batches observable.
 */
export interface BatchLimits {
  maxTransactions: number;
  maxMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxTransactions: 64, maxMs: 10 };

interface Enlisted {
  resolve(): void;
  reject(error: unknown): void;
}

export class GroupCommitSqliteDriver implements Driver {
  private readonly connection: DatabaseConnection = {
    executeQuery: (query) => this.execute(query),
    streamQuery: (query) => this.stream(query),
  };
  /** Whoever holds the connection; the others queue in order. */
  private locked = false;
  private readonly queue: Array<() => void> = [];
  /** The holder's transaction: 'outer' opened the batch, 'savepoint' joined one. */
  private transaction: 'outer' | 'savepoint' | undefined;
  /** Committed-but-not-yet-durable writes of the open write transaction; undefined while none is open. */
  private batch: Enlisted[] | undefined;
  private batchOpenedAt = 0;
  /** The turn a single write opened the batch in has ended: the batch is committed at the next unlock. */
  private batchDue = false;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly checkpointer: Checkpointer,
    private readonly limits: BatchLimits,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock();
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    this.unlock();
  }

  async beginTransaction(): Promise<void> {
    if (this.batch) {
      this.run('savepoint herald_transaction');
      this.transaction = 'savepoint';
      return;
    }
    // BEGIN IMMEDIATE takes the write lock up front: when another process (`herald worker` beside `herald serve`)
    // holds it, the transaction waits here (see runPatiently) instead of failing later on its first write.
    await this.openBatch();
    this.transaction = 'outer';
  }

  async commitTransaction(): Promise<void> {
    if (this.transaction === 'savepoint') this.run('release herald_transaction');
    this.transaction = undefined;
    await this.untilDurable();
  }

  async rollbackTransaction(): Promise<void> {
    const joined = this.transaction;
    // Kysely also rolls back after a failed commit: the failed batch COMMIT has already rolled everything back.
    if (!joined) return;
    this.transaction = undefined;
    if (!this.sqlite.inTransaction) {
      // SQLite already rolled back the whole write transaction (some I/O errors do): the batch is gone with it.
      this.failBatch(new Error('SQLite rolled back the write transaction this one was to be committed in'));
    } else if (joined === 'savepoint') {
      this.run('rollback to herald_transaction');
      this.run('release herald_transaction');
    } else {
      // It opened the batch, so nothing else is in it.
      this.run('rollback');
      this.batch = undefined;
    }
  }

  /** The checkpointer's connection closes first, so closing this last one checkpoints and removes the log. */
  async destroy(): Promise<void> {
    if (this.batch && this.transaction) {
      // Closed while a transaction is half done: committing the batch would store its first half. Nothing of the
      // batch is stored, and the transactions waiting for its COMMIT fail, as they would have with a crash.
      this.run('rollback');
      this.failBatch(new Error('the database was closed before this transaction was committed'));
    } else if (this.batch) {
      this.commitBatch();
    }
    await this.checkpointer.stop();
    this.sqlite.close();
  }

  private async execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.sqlite.prepare(query.sql);
    const parameters = query.parameters as unknown[];
    if (this.transaction) return this.runPatiently<R>(statement, parameters);
    // A write of its own (a worker's claim or record) joins the batch that is open, if any. Alone it runs as
    // SQLite's own autocommit. With others already queued for the connection (the workers' claims and records
    // come in bunches, one per job Redis handed over at once) it opens a batch for them to join, committed at the
    // end of this turn of the event loop: no later than that, because what queues may be reads, and a batch held
    // open for readers slowed the email fan-out by a tenth.
    if (statement.readonly) return this.runPatiently<R>(statement, parameters);
    if (!this.batch) {
      if (this.queue.length === 0) return this.runPatiently<R>(statement, parameters);
      await this.openBatch();
      this.commitAfterThisTurn();
    }
    let result: QueryResult<R>;
    try {
      result = runStatement<R>(statement, parameters);
    } catch (error) {
      // SQLite undid this statement alone, unless the error rolled back the whole write transaction.
      if (!this.sqlite.inTransaction) this.failBatch(error);
      throw error;
    }
    await this.untilDurable();
    return result;
  }

  private async *stream<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    for (const row of this.sqlite.prepare(query.sql).iterate(query.parameters as unknown[])) yield { rows: [row as R] };
  }

  /**
   * Runs one statement. Another process (`herald worker` beside `herald serve`) may hold SQLite's write lock:
   * wait for it without blocking this process. SQLite's own busy handler sleeps on the main thread, so a worker
   * waiting for the lock sent no email and an API waiting for it served no page meanwhile; here the statement is
   * retried after a short timer (1, 2, 4 … 16 ms), for up to 10 s in all, while the event loop goes on. A statement
   * refused with SQLITE_BUSY did nothing, so running it again is safe.
   */
  private async runPatiently<R>(statement: SQLite.Statement, parameters: unknown[]): Promise<QueryResult<R>> {
    const deadline = Date.now() + SQLITE_BUSY_DEADLINE_MS;
    for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 16)) {
      try {
        return runStatement<R>(statement, parameters);
      } catch (error) {
        if (!isSqliteBusy(error) || Date.now() + waitMs > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  private run(sql: string): void {
    this.sqlite.prepare(sql).run();
  }

  private async openBatch(): Promise<void> {
    await this.runPatiently(this.sqlite.prepare('begin immediate'), []);
    this.batch = [];
    this.batchOpenedAt = performance.now();
    this.batchDue = false;
  }

  /**
   * The holder's writes are in the batch: lend the connection to whoever waits (the batch grows) or commit the
   * batch when nobody does, then take the connection back once the COMMIT is done, so the caller returns holding
   * it as Kysely expects.
   */
  private async untilDurable(): Promise<void> {
    const durable = new Promise<void>((resolve, reject) => this.batch!.push({ resolve, reject }));
    this.unlock();
    try {
      await durable;
    } finally {
      await this.lock();
    }
  }

  private async lock(): Promise<void> {
    if (this.locked) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.locked = true;
  }

  /** Passes the connection on; the batch is committed first when nobody waits for it, or it is due, full or old. */
  private unlock(): void {
    const { maxTransactions, maxMs } = this.limits;
    if (
      this.batch &&
      (this.queue.length === 0 ||
        this.batchDue ||
        this.batch.length >= maxTransactions ||
        performance.now() - this.batchOpenedAt > maxMs)
    ) {
      this.commitBatch();
    }
    const next = this.queue.shift();
    if (next) next();
    else this.locked = false;
  }

  /** Once the callbacks already due have run: at once if the connection is free, else when its holder lets go. */
  private commitAfterThisTurn(): void {
    const batch = this.batch;
    process.nextTick(() => {
      if (this.batch !== batch) return;
      if (this.locked) this.batchDue = true;
      else this.commitBatch();
    });
  }

  private commitBatch(): void {
    try {
      this.run('commit');
    } catch (error) {
      if (this.sqlite.inTransaction) this.run('rollback');
      this.failBatch(error);
      return;
    }
    const enlisted = this.batch ?? [];
    this.batch = undefined;
    for (const write of enlisted) write.resolve();
  }

  private failBatch(error: unknown): void {
    const enlisted = this.batch ?? [];
    this.batch = undefined;
    for (const write of enlisted) write.reject(error);
  }
}

const SQLITE_BUSY_DEADLINE_MS = 10_000;

function runStatement<R>(statement: SQLite.Statement, parameters: unknown[]): QueryResult<R> {
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** SQLite's write lock is held by another connection: SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY … */
export function isSqliteBusy(error: unknown): boolean {
  return /^SQLITE_BUSY/.test(String((error as { code?: unknown } | null)?.code ?? ''));
}

// SQLite write transactions that queue for the one connection share a COMMIT (src/store/sqlite-driver.ts), and
// still behave as transactions of their own: each returns only once its changes are committed (a second
// connection sees them), one that fails is rolled back alone, and a failed COMMIT fails every one it carried.
// Single writes join a batch that is open; single writes issued together share one of their own.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Generated, Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type BatchLimits, DEFAULT_BATCH_LIMITS, HeraldSqliteDialect } from '../../src/store/sqlite-driver.js';
import { tempDir } from '../helpers/env.js';

interface Tables {
  items: { id: Generated<number>; label: string };
  children: { id: Generated<number>; item_id: number };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * Herald's SQLite driver on a fresh file, counting the COMMITs it runs; and a second connection to look. The
 * batches' age limit is lifted unless a test sets it: on a loaded machine 10 ms can pass inside one batch.
 */
async function open(limits: BatchLimits = { ...DEFAULT_BATCH_LIMITS, maxMs: 60_000 }) {
  const path = join(tempDir(), 'group-commit.db');
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  const counts = { commits: 0, begins: 0 };
  const counted = new Proxy(sqlite, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'prepare') {
        return (source: string) => {
          if (/^commit$/i.test(source)) counts.commits++;
          if (/^begin/i.test(source)) counts.begins++;
          return target.prepare(source);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const db = new Kysely<Tables>({ dialect: new HeraldSqliteDialect(counted, { stop: async () => undefined }, limits) });
  await sql`create table items (id integer primary key, label text not null unique)`.execute(db);
  await sql`create table children (id integer primary key, item_id integer not null references items (id) deferrable initially deferred)`.execute(
    db,
  );
  const observer = new SQLite(path, { readonly: true });
  cleanups.push(async () => {
    observer.close();
    await db.destroy();
  });
  counts.commits = 0;
  counts.begins = 0;
  const committedLabels = () =>
    (observer.prepare('select label from items order by id').all() as Array<{ label: string }>).map((r) => r.label);
  return { db, counts, committedLabels };
}

describe('SQLite group commit', () => {
  it('transactions that queue share one COMMIT, and each returns only once its row is committed', async () => {
    const { db, counts, committedLabels } = await open();
    const seenAtReturn: boolean[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db
          .transaction()
          .execute(async (tx) => {
            await tx
              .insertInto('items')
              .values({ label: `t${i}` })
              .execute();
            await tx.selectFrom('items').select('id').where('label', '=', `t${i}`).executeTakeFirstOrThrow();
          })
          .then(() => seenAtReturn.push(committedLabels().includes(`t${i}`))),
      ),
    );
    expect(seenAtReturn).toEqual(Array(20).fill(true));
    expect(committedLabels()).toHaveLength(20);
    // Twenty transactions, one write transaction of SQLite's (alone, each would have been its own).
    expect(counts.begins).toBe(1);
    expect(counts.commits).toBe(1);
  });

  it('a batch is committed when it is full or old, even while others still queue', async () => {
    const insertAll = (db: Kysely<Tables>, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          db.transaction().execute((tx) =>
            tx
              .insertInto('items')
              .values({ label: `t${i}` })
              .execute(),
          ),
        ),
      );
    const full = await open({ maxTransactions: 5, maxMs: 60_000 });
    await insertAll(full.db, 20);
    expect(full.committedLabels()).toHaveLength(20);
    expect(full.counts.commits).toBe(4);
    // Every transaction waits 2 ms holding the connection: with batches at most 1 ms old, none can be shared.
    const old = await open({ maxTransactions: 64, maxMs: 1 });
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        old.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('items')
            .values({ label: `slow${i}` })
            .execute();
          await new Promise((resolve) => setTimeout(resolve, 2));
        }),
      ),
    );
    expect(old.committedLabels()).toHaveLength(5);
    expect(old.counts.commits).toBe(5);
  });

  it('a transaction alone commits at once, as SQLite would', async () => {
    const { db, counts, committedLabels } = await open();
    for (let i = 0; i < 3; i++) {
      await db.transaction().execute((tx) =>
        tx
          .insertInto('items')
          .values({ label: `solo${i}` })
          .execute(),
      );
      expect(committedLabels()).toContain(`solo${i}`);
    }
    expect(counts.commits).toBe(3);
  });

  it('a transaction that fails is rolled back alone; the others of its batch commit', async () => {
    const { db, counts, committedLabels } = await open();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        db.transaction().execute(async (tx) => {
          await tx
            .insertInto('items')
            .values({ label: `t${i}` })
            .execute();
          await tx
            .insertInto('items')
            .values({ label: `t${i}-second` })
            .execute();
          if (i === 0 || i === 3 || i === 7) throw new Error(`transaction ${i} gives up`);
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[3] as PromiseRejectedResult).reason.message).toBe('transaction 3 gives up');
    const expected = [1, 2, 4, 5, 6, 8, 9].flatMap((i) => [`t${i}`, `t${i}-second`]);
    expect(committedLabels().sort()).toEqual(expected.sort());
    // The first one opened the write transaction and rolled it back whole; the other nine shared the next one.
    expect(counts.commits).toBe(1);
  });

  it('single writes that queue behind a transaction join its batch, and one that breaks a constraint fails alone', async () => {
    const { db, counts, committedLabels } = await open();
    await db.insertInto('items').values({ label: 'taken' }).execute();
    counts.commits = 0;
    // Two transactions hold the connection in turn while the writes queue between them; the batch's COMMIT comes
    // after the second.
    const gate = () => {
      let open!: () => void;
      return { passed: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
    };
    const [first, second] = [gate(), gate()];
    const holding = (label: string, until: Promise<void>) =>
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ label }).execute();
        await until;
      });
    const firstTransaction = holding('first', first.passed);
    const returned: string[] = [];
    const writes = Promise.allSettled(
      ['a', 'b', 'taken', 'c'].map((label) =>
        db
          .insertInto('items')
          .values({ label })
          .execute()
          .then(() => returned.push(committedLabels().includes(label) ? label : `${label} (not committed yet)`)),
      ),
    );
    const secondTransaction = holding('second', second.passed);
    // One turn of the event loop each (a batch open for more than 10 ms is committed without waiting for more).
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await turn();
    first.open();
    await turn();
    // The writes have run, inside the batch the second transaction holds open: none has returned yet.
    expect(returned).toEqual([]);
    expect(committedLabels()).toEqual(['taken']);
    second.open();
    await Promise.all([firstTransaction, secondTransaction]);
    const outcomes = await writes;
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[2] as PromiseRejectedResult).reason.code)).toMatch(/^SQLITE_CONSTRAINT/);
    expect(returned.sort()).toEqual(['a', 'b', 'c']);
    expect(committedLabels().sort()).toEqual(['a', 'b', 'c', 'first', 'second', 'taken']);
    expect(counts.commits).toBe(1);
  });

  it('a single write alone runs as SQLite’s own autocommit', async () => {
    const { db, counts, committedLabels } = await open();
    for (const label of ['a', 'b', 'c']) {
      await db.insertInto('items').values({ label }).execute();
      expect(committedLabels()).toContain(label);
    }
    expect(counts.begins).toBe(0);
    expect(counts.commits).toBe(0);
  });

  it('single writes issued together share one COMMIT, and each returns only once it is committed', async () => {
    const { db, counts, committedLabels } = await open();
    const seenAtReturn = await Promise.all(
      ['a', 'b', 'c', 'd'].map((label) =>
        db
          .insertInto('items')
          .values({ label })
          .execute()
          .then(() => committedLabels().includes(label)),
      ),
    );
    expect(seenAtReturn).toEqual([true, true, true, true]);
    expect(counts.begins).toBe(1);
    expect(counts.commits).toBe(1);
  });

  it('a batch single writes opened is committed once their turn is over, though others still queue', async () => {
    const { db, counts, committedLabels } = await open();
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    // Two writes and a transaction in one turn: the first write finds the others queued and opens a batch; the
    // transaction joins it and holds the connection until the gate opens.
    const writes = Promise.all(['w1', 'w2'].map((label) => db.insertInto('items').values({ label }).execute()));
    const holding = db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ label: 'held' }).execute();
      await gate;
    });
    await new Promise((resolve) => setImmediate(resolve));
    // A later turn's transaction queues behind the holder: it must not keep the earlier batch open.
    const later = db.transaction().execute((tx) => tx.insertInto('items').values({ label: 'later' }).execute());
    openGate();
    await Promise.all([writes, holding, later]);
    expect(committedLabels().sort()).toEqual(['held', 'later', 'w1', 'w2']);
    expect(counts.commits).toBe(2);
  });

  it('a connection held across a transaction (db.connection()) goes on after its COMMIT while others queue', async () => {
    const { db, committedLabels } = await open();
    // Kysely's db.connection(): one holder for several statements, a transaction among them, while others queue.
    // Its transaction's caller returns holding the connection again, as with Kysely's own driver.
    const held = db.connection().execute(async (connection) => {
      await connection.transaction().execute((tx) => tx.insertInto('items').values({ label: 'held-1' }).execute());
      expect(committedLabels()).toContain('held-1');
      await connection.insertInto('items').values({ label: 'held-2' }).execute();
    });
    const others = Array.from({ length: 5 }, (_, i) =>
      db.transaction().execute((tx) =>
        tx
          .insertInto('items')
          .values({ label: `other-${i}` })
          .execute(),
      ),
    );
    await Promise.all([held, ...others]);
    expect(committedLabels().sort()).toEqual([
      'held-1',
      'held-2',
      'other-0',
      'other-1',
      'other-2',
      'other-3',
      'other-4',
    ]);
    // The connection is free again: a plain statement runs at once.
    await db.insertInto('items').values({ label: 'after' }).execute();
    expect(committedLabels()).toContain('after');
  });

  it('closed while a transaction of a batch is half done: nothing of the batch is stored', async () => {
    const { db, committedLabels } = await open();
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    let inside!: () => void;
    const isInside = new Promise<void>((resolve) => (inside = resolve));
    // The first transaction commits into the batch; the second joins it, writes half of its work and waits.
    const first = db.transaction().execute((tx) => tx.insertInto('items').values({ label: 'first' }).execute());
    const second = db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ label: 'second, half' }).execute();
      inside();
      await held;
      await tx.insertInto('items').values({ label: 'second, other half' }).execute();
    });
    await isInside;
    await db.destroy();
    holding();
    const outcomes = await Promise.allSettled([first, second]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason.message).toMatch(
      /closed before this transaction was committed/,
    );
    expect(committedLabels()).toEqual([]);
  });

  it('a COMMIT that fails fails every transaction it carried, and leaves nothing of them', async () => {
    const { db, committedLabels } = await open();
    // A deferred foreign key is checked at COMMIT: the one bad row makes SQLite refuse the whole write transaction.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) =>
        db.transaction().execute(async (tx) => {
          const { id } = await tx
            .insertInto('items')
            .values({ label: `t${i}` })
            .returning('id')
            .executeTakeFirstOrThrow();
          await tx
            .insertInto('children')
            .values({ item_id: i === 2 ? 9_999 : id })
            .execute();
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason.code)).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(committedLabels()).toEqual([]);
    // The connection is usable afterwards.
    await db.transaction().execute((tx) => tx.insertInto('items').values({ label: 'after' }).execute());
    expect(committedLabels()).toEqual(['after']);
  });
});

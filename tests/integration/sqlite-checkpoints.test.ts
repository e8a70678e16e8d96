// SQLite's WAL checkpoints run on a worker thread (src/store/sqlite-checkpointer.ts), not inside a commit on the
// main thread: the log is copied back into the database file while the main connection stays below its own
// (higher) autocheckpoint mark, the log stays bounded under writes that never pause, and closing the store closes
// the thread's connection too (SQLite then removes the log).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MAIN_CONNECTION_AUTOCHECKPOINT_PAGES, startCheckpointer } from '../../src/store/sqlite-checkpointer.js';
import { eventually, tempDir } from '../helpers/env.js';

const PAGE = 4096;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('SQLite checkpoints off the main thread', () => {
  it('copies the log into the database file while the main connection stays below its own threshold', async () => {
    const path = join(tempDir(), 'herald.db');
    const { db } = openDatabase(path);
    cleanups.push(() => db.destroy());
    await sql`create table blobs (id integer primary key, body text not null)`.execute(db);
    const pagesWritten = 800; // well under MAIN_CONNECTION_AUTOCHECKPOINT_PAGES
    expect(pagesWritten).toBeLessThan(MAIN_CONNECTION_AUTOCHECKPOINT_PAGES);
    for (let i = 0; i < pagesWritten; i++)
      await sql`insert into blobs (body) values (${'x'.repeat(PAGE - 200)})`.execute(db);

    // Only a checkpoint writes the rows' pages into the database file itself.
    await eventually(() => statSync(path).size >= (pagesWritten / 2) * PAGE, 5_000);
    const [{ n }] = (await sql<{ n: number }>`select count(*) as n from blobs`.execute(db)).rows as [{ n: number }];
    expect(Number(n)).toBe(pagesWritten);
  });

  it('closing the store closes the thread’s connection, so SQLite checkpoints and removes the log', async () => {
    const path = join(tempDir(), 'herald.db');
    const { db } = openDatabase(path);
    await sql`create table t (id integer primary key)`.execute(db);
    await sql`insert into t default values`.execute(db);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the thread has opened its connection by now
    expect(existsSync(`${path}-wal`)).toBe(true);
    await db.destroy();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = new SQLite(path, { readonly: true });
    expect((reopened.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(1);
    reopened.close();
  });

  it('closes at once when the thread could not open the database (nothing to wait for)', async () => {
    const checkpointer = startCheckpointer(join(tempDir(), 'missing.db'), { everyMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the thread has failed to open the file and exited
    const outcome = await Promise.race([
      checkpointer.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000)),
    ]);
    expect(outcome).toBe('stopped');
  });

  it('keeps the log bounded while writes never pause', async () => {
    const path = join(tempDir(), 'herald.db');
    const { db } = openDatabase(path);
    cleanups.push(() => db.destroy());
    await sql`create table blobs (id integer primary key, body text not null)`.execute(db);
    const body = 'y'.repeat(PAGE - 200);
    // About 12,000 frames (a row's page, its table's root and the commit), a write every turn of the event loop:
    // the thread's PASSIVE checkpoints rarely find every frame copied, so the log would keep most of them without
    // the main connection's own autocheckpoint (measured: 22,000 pages with it at 20,000).
    for (let i = 0; i < 4_000; i++) {
      await sql`insert into blobs (body) values (${body})`.execute(db);
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(statSync(`${path}-wal`).size).toBeLessThan(2 * MAIN_CONNECTION_AUTOCHECKPOINT_PAGES * PAGE);
  });
});

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';

// Another process (`herald worker` beside `herald serve`) holding SQLite's write lock must not freeze this one:
// the wait happens on a timer, so timers, sockets and other requests go on meanwhile.
describe('SQLite: waiting for another process’s write lock', () => {
  const path = join(tempDir(), 'herald.db');
  let store: Store | undefined;
  afterAll(() => store?.close());

  it('keeps the event loop running, then writes once the lock is free', async () => {
    store = await openStore(path);
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(${JSON.stringify(path)}); db.pragma('journal_mode = WAL');
         db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 600);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) =>
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()),
    );

    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = Date.now();
    await store.db
      .insertInto('components')
      .values({
        id: 'c1',
        name: 'API',
        group_name: null,
        description: null,
        position: 0,
        status: 'operational',
        created_at: 'now',
        updated_at: 'now',
      })
      .execute();
    const waited = Date.now() - started;
    clearInterval(ticker);

    expect(waited).toBeGreaterThan(300); // it did wait for the other process
    expect(ticks).toBeGreaterThan(waited / 10 / 3); // and timers kept firing meanwhile (a blocked loop: ~0)
    expect(await store.db.selectFrom('components').select('id').execute()).toEqual([{ id: 'c1' }]);
  });
});

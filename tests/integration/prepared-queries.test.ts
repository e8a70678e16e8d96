import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../src/store/db.js';
import { listParam, listParams, listShape, prepared } from '../../src/store/prepared.js';
import type { Database } from '../../src/store/schema.js';
import { freshDatabase } from '../helpers/env.js';

describe.each(['sqlite', 'postgres'] as const)('prepared queries on %s', (kind) => {
  let opened: ReturnType<typeof openDatabase>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await freshDatabase(kind);
    drop = database.drop;
    opened = openDatabase(database.url);
    await migrateToLatest(opened.db);
    const now = new Date().toISOString();
    await opened.db
      .insertInto('components')
      .values(
        ['API', 'Web', 'Mail'].map((name, i) => ({
          id: `c${i}`,
          name,
          group_name: null,
          description: null,
          position: i,
          status: 'operational',
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  });
  afterAll(async () => {
    await opened.db.destroy();
    await drop();
  });

  const byName = prepared((db, p: { name: string }) =>
    db.selectFrom('components').select(['id', 'position']).where('name', '=', p.name),
  );

  it('binds each call its own values into the one compiled query', async () => {
    expect((await byName<{ id: string }>(opened.db, { name: 'Web' })).rows).toEqual([{ id: 'c1', position: 1 }]);
    expect((await byName<{ id: string }>(opened.db, { name: 'Mail' })).rows).toEqual([{ id: 'c2', position: 2 }]);
    expect((await byName(opened.db, { name: 'nothing' })).rows).toEqual([]);
  });

  it('keeps the constants the builder placed beside the parameters', async () => {
    const renamed = prepared((db, p: { id: string; name: string }) =>
      db.updateTable('components').set({ name: p.name, status: 'degraded_performance' }).where('id', '=', p.id),
    );
    await renamed(opened.db, { id: 'c0', name: 'API v2' });
    await renamed(opened.db, { id: 'c2', name: 'Mail v2' });
    const rows = await opened.db.selectFrom('components').select(['id', 'name', 'status']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'c0', name: 'API v2', status: 'degraded_performance' },
      { id: 'c1', name: 'Web', status: 'operational' },
      { id: 'c2', name: 'Mail v2', status: 'degraded_performance' },
    ]);
  });

  it('gives each shape its own template', async () => {
    const setSome = prepared(
      (db, { $id, ...values }: { $id: string; description?: string | null; group_name?: string | null }) =>
        db.updateTable('components').set(values).where('id', '=', $id),
      (params) => Object.keys(params).join(),
    );
    await setSome(opened.db, { $id: 'c1', description: 'the site' });
    await setSome(opened.db, { $id: 'c1', group_name: 'Public' });
    await setSome(opened.db, { $id: 'c2', description: 'outbound', group_name: 'Internal' });
    const rows = await opened.db
      .selectFrom('components')
      .select(['id', 'description', 'group_name'])
      .where('id', 'in', ['c1', 'c2'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'c1', description: 'the site', group_name: 'Public' },
      { id: 'c2', description: 'outbound', group_name: 'Internal' },
    ]);
  });

  it('takes a list for in (…), one template per length', async () => {
    const named = prepared(
      (db, p: Record<string, string>) =>
        db.selectFrom('components').select('id').where('id', 'in', listParam(p, 'c')).orderBy('id'),
      listShape('c'),
    );
    expect((await named<{ id: string }>(opened.db, listParams('c', ['c2', 'c0']))).rows).toEqual([
      { id: 'c0' },
      { id: 'c2' },
    ]);
    expect((await named<{ id: string }>(opened.db, listParams('c', ['c1']))).rows).toEqual([{ id: 'c1' }]);
    expect((await named<{ id: string }>(opened.db, listParams('c', ['c1', 'c2', 'nope']))).rows).toEqual([
      { id: 'c1' },
      { id: 'c2' },
    ]);
  });

  it('runs inside a transaction and rolls back with it', async () => {
    await expect(
      opened.db.transaction().execute(async (tx) => {
        await prepared((db, p: { id: string }) =>
          db.updateTable('components').set({ name: 'rolled back' }).where('id', '=', p.id),
        )(tx, { id: 'c1' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await byName(opened.db, { name: 'rolled back' })).rows).toEqual([]);
  });

  it('refuses a parameter the builder computed with, instead of freezing its first value', async () => {
    const computed = prepared((db, p: { name: string }) =>
      db.selectFrom('components').select('id').where('name', '=', `${p.name} v2`),
    );
    await expect(computed(opened.db, { name: 'API' })).rejects.toThrow(/used inside a computed value/);
    const inText = prepared((db, p: { column: string }) =>
      db.selectFrom('components').select(sql.ref(p.column).as('x')),
    );
    await expect(inText(opened.db, { column: 'name' })).rejects.toThrow(/placed in the SQL text/);
  });
});

describe('prepared queries as named statements on PostgreSQL', () => {
  let opened: ReturnType<typeof openDatabase>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await freshDatabase('postgres');
    drop = database.drop;
    opened = openDatabase(database.url);
    await migrateToLatest(opened.db);
    const now = new Date().toISOString();
    await opened.db
      .insertInto('components')
      .values({
        id: 'c0',
        name: 'API',
        group_name: null,
        description: null,
        position: 0,
        status: 'operational',
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  afterAll(async () => {
    await opened.db.destroy();
    await drop();
  });

  const statementsOf = async (db: Kysely<Database>) =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map(
      (r) => r.statement,
    );

  it('prepares a template once per connection, and leaves other queries unnamed', async () => {
    const byId = prepared((db, p: { id: string }) => db.selectFrom('components').select('name').where('id', '=', p.id));
    await opened.db.connection().execute(async (connection) => {
      expect((await byId<{ name: string }>(connection, { id: 'c0' })).rows).toEqual([{ name: 'API' }]);
      expect((await byId<{ name: string }>(connection, { id: 'nope' })).rows).toEqual([]);
      await connection.selectFrom('components').select('position').where('id', '=', 'c0').execute();
      const statements = await statementsOf(connection);
      expect(statements.filter((s) => s.includes('"components"') && s.includes('"name"'))).toHaveLength(1);
      expect(statements.some((s) => s.includes('"position"'))).toBe(false);
    });
  });

  it('prepares a statement afresh when a migration changed the table under its select *', async () => {
    const everything = prepared((db, p: { id: string }) =>
      db.selectFrom('components').selectAll().where('id', '=', p.id),
    );
    await opened.db.connection().execute(async (connection) => {
      expect(Object.keys((await everything<object>(connection, { id: 'c0' })).rows[0]!)).not.toContain('colour');
      await sql`alter table components add column colour text default 'green'`.execute(opened.db);
      // Outside a transaction: run again at once under a new name.
      expect((await everything<{ colour: string }>(connection, { id: 'c0' })).rows[0]!.colour).toBe('green');
      await sql`alter table components add column shade text default 'dark'`.execute(opened.db);
      // Inside one: the transaction fails (PostgreSQL has aborted it), and the next one works.
      await expect(connection.transaction().execute((tx) => everything(tx, { id: 'c0' }))).rejects.toThrow(
        /cached plan must not change result type/,
      );
      const again = await connection.transaction().execute((tx) => everything<{ shade: string }>(tx, { id: 'c0' }));
      expect(again.rows[0]!.shade).toBe('dark');
      // A template first run after the renames gets a name of its own on this connection.
      const shadeOf = prepared((db, p: { id: string }) =>
        db.selectFrom('components').select(sql<string>`shade`.as('shade')).where('id', '=', p.id),
      );
      expect((await shadeOf(connection, { id: 'c0' })).rows).toEqual([{ shade: 'dark' }]);
    });
  });
});

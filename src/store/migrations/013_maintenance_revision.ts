import type { Kysely } from 'kysely';

// maintenances.revision: how many times a maintenance was changed after it was scheduled (an edit, an update, its
// start, completion or cancellation). maintenances.ics carries it as each event's SEQUENCE, which calendars compare
// to know that a copy they hold is out of date. Existing rows start at 0, as a new maintenance does.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('maintenances')
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('maintenances').dropColumn('revision').execute();
}

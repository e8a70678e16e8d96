import type { Kysely } from 'kysely';

// A component event describes the change as it happened, whenever it is sent: component_name is the component's
// name and page_statuses the statuses of every component (a JSON array, each status once) right after the change,
// kept with the event when it is written. recipients_listed_at: when the event's recipients were listed, once; a
// retry sends to those rows only, so a subscriber who signs up meanwhile gets none. Rows written before this
// migration have none of the three: they are sent as before (the name and statuses when sent).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('component_events').addColumn('component_name', 'text').execute();
  await db.schema.alterTable('component_events').addColumn('page_statuses', 'text').execute();
  await db.schema.alterTable('component_events').addColumn('recipients_listed_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('component_events').dropColumn('recipients_listed_at').execute();
  await db.schema.alterTable('component_events').dropColumn('page_statuses').execute();
  await db.schema.alterTable('component_events').dropColumn('component_name').execute();
}

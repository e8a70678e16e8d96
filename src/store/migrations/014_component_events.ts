import type { Kysely } from 'kysely';

// A component's status changed outside an incident update (the admin API, the CLI, the console): the change is
// an event of its own, stored with the change (the outbox a job of the engine sends from), and one row per
// recipient it goes to, so a retried or taken-over job sends each recipient one event.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('component_events')
    .addColumn('id', 'text', (c) => c.primaryKey()) // the component_status_changes row's id
    .addColumn('component_id', 'text', (c) => c.notNull().references('components.id').onDelete('cascade'))
    .addColumn('old_status', 'text', (c) => c.notNull())
    .addColumn('new_status', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('done_at', 'text')
    .execute();
  await db.schema
    .createTable('component_event_recipients')
    .addColumn('event_id', 'text', (c) => c.notNull().references('component_events.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('subscriber_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull()) // pending | sending | sent | failed | skipped
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('component_event_recipients_pk', ['event_id', 'channel', 'subscriber_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('component_event_recipients').execute();
  await db.schema.dropTable('component_events').execute();
}

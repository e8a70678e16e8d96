import type { Kysely } from 'kysely';

// The commander's console: reminders sent at most once, whatever the number of processes or restarts.

export async function up(db: Kysely<unknown>): Promise<void> {
  /** One row per (incident, due time): the reminder to the commanders' chat that an update is overdue. */
  await db.schema
    .createTable('console_cadence_reminders')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('due_at', 'text', (c) => c.notNull())
    // sending | sent | pending (retry after a failure that surely did not arrive) | failed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('console_cadence_reminders_pk', ['incident_id', 'due_at'])
    .execute();

  /** One row per (maintenance, subscriber): the "maintenance starts soon" email. Claimed before sending. */
  await db.schema
    .createTable('console_maintenance_reminders')
    .addColumn('maintenance_id', 'text', (c) => c.notNull().references('maintenances.id').onDelete('cascade'))
    .addColumn('subscriber_id', 'text', (c) => c.notNull())
    // sending | sent | pending | failed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('console_maintenance_reminders_pk', ['maintenance_id', 'subscriber_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['console_maintenance_reminders', 'console_cadence_reminders']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

import type { Kysely } from 'kysely';

// The whole life of components and maintenances.
// - components.deleted_at: a deleted component leaves the page, the JSON and the subscribe form, while the incidents
//   that named it keep showing its name (their rows still join it).
// - maintenances: the channels its notices go to (JSON, null: every enabled channel), when it was cancelled, when its
//   reminder went out, and the incident row that threads its notices on every channel (incidents.maintenance_id marks
//   such rows: they are never shown as incidents).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('components').addColumn('deleted_at', 'text').execute();
  await db.schema.alterTable('maintenances').addColumn('channels_json', 'text').execute();
  await db.schema.alterTable('maintenances').addColumn('cancelled_at', 'text').execute();
  await db.schema.alterTable('maintenances').addColumn('reminded_at', 'text').execute();
  await db.schema.alterTable('maintenances').addColumn('thread_id', 'text').execute();
  await db.schema.alterTable('incidents').addColumn('maintenance_id', 'text').execute();
  await db.schema.createIndex('incidents_maintenance_idx').on('incidents').column('maintenance_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('incidents_maintenance_idx').ifExists().execute();
  await db.schema.alterTable('incidents').dropColumn('maintenance_id').execute();
  for (const column of ['thread_id', 'reminded_at', 'cancelled_at', 'channels_json'])
    await db.schema.alterTable('maintenances').dropColumn(column).execute();
  await db.schema.alterTable('components').dropColumn('deleted_at').execute();
}

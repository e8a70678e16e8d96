import { type Kysely, sql } from 'kysely';

// A threaded channel's job asks, for its delivery, about the earlier deliveries of the same incident on the same
// channel: is one still moving, and which were the first and the latest posts. With the update's number on the
// delivery row and an index on (incident, channel, number), those are short index walks instead of a join to
// incident_updates for every earlier row and a sort.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('deliveries')
    .addColumn('update_number', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update deliveries set update_number = (select u.number from incident_updates u where u.id = deliveries.update_id)`.execute(
    db,
  );
  await db.schema
    .createIndex('deliveries_thread')
    .on('deliveries')
    .columns(['incident_id', 'channel', 'update_number'])
    .execute();
  // A prefix of the new index: it answers everything this one did.
  await db.schema.dropIndex('deliveries_incident_channel').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('deliveries_incident_channel')
    .on('deliveries')
    .columns(['incident_id', 'channel'])
    .execute();
  await db.schema.dropIndex('deliveries_thread').execute();
  await db.schema.alterTable('deliveries').dropColumn('update_number').execute();
}

import type { Kysely } from 'kysely';

// Subscribers: delivery state per subscriber, the suppression list, and the audience fan-out tables.
// Types are spelled so that SQLite and PostgreSQL both take them: text, integer.

export async function up(db: Kysely<unknown>): Promise<void> {
  // active | suppressed (hard bounce, STOP) | disabled (webhook answered 410) | quarantined (webhook kept failing)
  await db.schema
    .alterTable('subscribers')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
    .execute();
  await db.schema
    .alterTable('subscribers')
    .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('subscribers').addColumn('last_error', 'text').execute();
  /** When the last confirmation message went out: at most one per address per window. */
  await db.schema.alterTable('subscribers').addColumn('confirmation_sent_at', 'text').execute();

  /** The fan-out's keyset walk: WHERE kind = ? AND id > cursor ORDER BY id. */
  await db.schema.createIndex('subscribers_kind_id').on('subscribers').columns(['kind', 'id']).execute();

  /** Unsubscribed or bounced addresses, reduced to an HMAC of the address: re-imports skip them. */
  await db.schema
    .createTable('suppressions')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('address_hash', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('suppressions_pk', ['kind', 'address_hash'])
    .execute();

  /** One per audience delivery: how far planning (the keyset walk over subscribers) has come. */
  await db.schema
    .createTable('fanouts')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey().references('deliveries.id').onDelete('cascade'))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('planned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  /** One page of recipients: subscriber ids in (after_id, last_id]. One BullMQ job per page. */
  await db.schema
    .createTable('fanout_pages')
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('after_id', 'text', (c) => c.notNull())
    .addColumn('last_id', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('fanout_pages_pk', ['delivery_id', 'generation', 'seq'])
    .execute();

  /** One row per (update, channel, recipient): the delivery row is per (update, channel). Claimed before sending. */
  await db.schema
    .createTable('recipient_deliveries')
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('subscriber_id', 'text', (c) => c.notNull())
    // pending | sending | sent | failed | skipped
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('external_id', 'text')
    .addColumn('error', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('recipient_deliveries_pk', ['delivery_id', 'subscriber_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['recipient_deliveries', 'fanout_pages', 'fanouts', 'suppressions']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.dropIndex('subscribers_kind_id').ifExists().execute();
  for (const column of ['confirmation_sent_at', 'last_error', 'failure_count', 'state']) {
    await db.schema.alterTable('subscribers').dropColumn(column).execute();
  }
}

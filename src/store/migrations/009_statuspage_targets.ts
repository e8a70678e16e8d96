import type { Kysely } from 'kysely';

// Where each off-site copy of the status page stands: the build it last took, and since when it is behind.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('statuspage_targets')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    // The data stamp of the build the target holds (the latest change it shows), as last seen there.
    .addColumn('published_stamp', 'text')
    .addColumn('published_at', 'text')
    // Set at the first failed publish after the target was current; cleared when it is current again.
    .addColumn('behind_since', 'text')
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('next_attempt_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('statuspage_targets_pk', ['channel', 'target'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('statuspage_targets').ifExists().execute();
}

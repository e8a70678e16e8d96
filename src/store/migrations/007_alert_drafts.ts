import type { Kysely } from 'kysely';

// Drafts: incidents proposed by monitoring alerts and not yet published. A draft lives here alone, so no public
// page, feed or delivery can see it; publishing it creates the incident under the draft's own id.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incident_drafts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // alertmanager | grafana | pagerduty | generic
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    // draft | published | dismissed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('impact', 'text', (c) => c.notNull())
    .addColumn('components_json', 'text', (c) => c.notNull())
    // The holding statement's channels; null: every enabled channel.
    .addColumn('channels_json', 'text')
    // {key: {status, startsAt, endsAt, at, labels, annotations}} for each alert of the group
    .addColumn('alerts_json', 'text', (c) => c.notNull())
    .addColumn('auto_resolve', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('autopublish_at', 'text')
    // When every alert of the group was last seen resolved (null while one fires).
    .addColumn('resolved_at', 'text')
    // commander | alerts | holding (who moved it out of 'draft')
    .addColumn('closed_by', 'text')
    .addColumn('paged_at', 'text')
    .addColumn('reminded_due_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text')
    .addColumn('dismissed_at', 'text')
    .execute();
  await db.schema.createIndex('incident_drafts_state').on('incident_drafts').columns(['state', 'created_at']).execute();

  /** The draft an alert group attaches to now (a group dismissed by a commander that fires again gets a new one). */
  await db.schema
    .createTable('alert_groups')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('draft_id', 'text', (c) => c.notNull().references('incident_drafts.id').onDelete('cascade'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_groups_pk', ['source', 'group_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['alert_groups', 'incident_drafts']) await db.schema.dropTable(table).ifExists().execute();
}

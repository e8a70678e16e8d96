import type { Kysely } from 'kysely';

// The body a webhook subscriber receives: null for Herald's own {type, timestamp, data}, 'statuspage' for
// Statuspage's webhook body (so a consumer of Statuspage's webhooks can switch without changing its parser).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscribers').addColumn('webhook_format', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscribers').dropColumn('webhook_format').execute();
}

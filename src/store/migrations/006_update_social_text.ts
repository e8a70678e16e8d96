import type { Kysely } from 'kysely';

// A commander's own text for the social posts of an update (X, Mastodon, Bluesky), like Statuspage's custom
// tweet; null when the posts are rendered from the message.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('incident_updates').addColumn('social_text', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('incident_updates').dropColumn('social_text').execute();
}

import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/schema.js';

/** N confirmed email subscribers to every component, inserted in one statement (as bench/email-fanout.ts does). */
export async function seedEmailSubscribers(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  n: number,
): Promise<void> {
  const now = new Date().toISOString();
  if (dialect === 'sqlite') {
    await sql`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${n - 1})
      INSERT INTO subscribers (id, kind, address, components_json, confirmed_at, secret, created_at, updated_at, state, failure_count, last_error, confirmation_sent_at)
      SELECT 's' || printf('%09d', i), 'email', 'user' || i || '@example.test', '[]', ${now}, NULL, ${now}, ${now}, 'active', 0, NULL, NULL FROM c`.execute(
      db,
    );
  } else {
    await sql`INSERT INTO subscribers (id, kind, address, components_json, confirmed_at, secret, created_at, updated_at, state, failure_count, last_error, confirmation_sent_at)
      SELECT 's' || lpad(i::text, 9, '0'), 'email', 'user' || i || '@example.test', '[]', ${now}, NULL, ${now}, ${now}, 'active', 0, NULL, NULL
      FROM generate_series(0, ${n - 1}) AS i`.execute(db);
    await sql`ANALYZE subscribers`.execute(db);
  }
}

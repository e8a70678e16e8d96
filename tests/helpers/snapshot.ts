import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

const TABLES = [
  'components',
  'incidents',
  'incident_components',
  'incident_updates',
  'maintenances',
  'maintenance_components',
  'deliveries',
  'subscribers',
  'idempotency_keys',
] as const;

/** Every row of every core table, for "the database is unchanged afterwards" assertions. */
export async function snapshotDatabase(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = await db.selectFrom(table).selectAll().execute();
    snapshot[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return snapshot;
}

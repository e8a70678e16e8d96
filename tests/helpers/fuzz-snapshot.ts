import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

// Like snapshot.ts, but every table of the schema: the core tables plus the subscriber side (suppressions,
// fan-outs, per-recipient rows) and the console's, so "a refused request changed nothing" covers them all.
const ALL_TABLES = [
  'components',
  'incidents',
  'incident_components',
  'incident_updates',
  'maintenances',
  'maintenance_components',
  'deliveries',
  'subscribers',
  'suppressions',
  'fanouts',
  'fanout_pages',
  'recipient_deliveries',
  'idempotency_keys',
  'console_users',
  'console_sessions',
  'console_postmortem_drafts',
  'incident_templates',
  'incident_template_components',
] as const satisfies ReadonlyArray<keyof Database>;

export type FullSnapshot = Record<(typeof ALL_TABLES)[number], string[]>;

/** Every row of every table, each as sorted JSON text. */
export async function snapshotAllTables(db: Kysely<Database>): Promise<FullSnapshot> {
  const snapshot = {} as FullSnapshot;
  for (const table of ALL_TABLES) {
    const rows = await db.selectFrom(table).selectAll().execute();
    snapshot[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return snapshot;
}

/** Rows added and removed per table between two snapshots (tables with no change left out). */
export function diffSnapshots(
  before: FullSnapshot,
  after: FullSnapshot,
): Record<string, { added: unknown[]; removed: unknown[] }> {
  const diff: Record<string, { added: unknown[]; removed: unknown[] }> = {};
  for (const table of ALL_TABLES) {
    const was = new Set(before[table]);
    const now = new Set(after[table]);
    const added = after[table].filter((r) => !was.has(r)).map((r) => JSON.parse(r) as unknown);
    const removed = before[table].filter((r) => !now.has(r)).map((r) => JSON.parse(r) as unknown);
    if (added.length > 0 || removed.length > 0) diff[table] = { added, removed };
  }
  return diff;
}

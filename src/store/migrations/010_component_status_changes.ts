import type { Kysely } from 'kysely';

// Each component's status over time, for the status page's daily uptime: one row per change, written with the
// change itself (publish, maintenance, component edits). Existing databases get a history rebuilt from what
// they kept: a component starts operational when it was created, each incident update sets the statuses it
// names, a resolved incident clears its own, and a component shows the worst of its open incidents.

const SEVERITY: Record<string, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};
const CLOSED = new Set(['resolved', 'postmortem']);

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('component_status_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('component_id', 'text', (c) => c.notNull().references('components.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('component_status_changes_at')
    .on('component_status_changes')
    .columns(['component_id', 'at'])
    .execute();
  await backfill(db as Kysely<Tables>);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('component_status_changes').execute();
}

/** The tables as this migration knows them (later migrations may change them). */
interface Tables {
  components: { id: string; status: string; created_at: string; updated_at: string };
  incident_updates: {
    incident_id: string;
    number: number;
    status: string;
    components_json: string;
    created_at: string;
  };
  component_status_changes: { id: string; component_id: string; status: string; at: string };
}

async function backfill(db: Kysely<Tables>): Promise<void> {
  const components: Array<{ id: string; status: string; created_at: string; updated_at: string }> = await db
    .selectFrom('components')
    .select(['id', 'status', 'created_at', 'updated_at'])
    .execute();
  if (components.length === 0) return;
  const updates: Array<{ incident_id: string; status: string; components_json: string; created_at: string }> = await db
    .selectFrom('incident_updates')
    .select(['incident_id', 'status', 'components_json', 'created_at'])
    .orderBy('created_at')
    .orderBy('number')
    .execute();
  // component → incident → status that incident gives it while open
  const open = new Map<string, Map<string, string>>(components.map((c) => [c.id, new Map()]));
  const shown = new Map<string, string>();
  const rows: Array<{ id: string; component_id: string; status: string; at: string }> = [];
  let n = 0;
  const record = (componentId: string, status: string, at: string) => {
    if (shown.get(componentId) === status) return;
    shown.set(componentId, status);
    rows.push({ id: `backfill-${(n++).toString(36).padStart(8, '0')}`, component_id: componentId, status, at });
  };
  const created = new Map(components.map((c) => [c.id, c.created_at]));
  const events: Array<{ at: string; apply: () => void }> = components.map((c) => ({
    at: c.created_at,
    apply: () => record(c.id, 'operational', c.created_at),
  }));
  for (const u of updates) {
    events.push({
      at: u.created_at,
      apply: () => {
        let named: Array<{ id: string; status: string }> = [];
        try {
          named = JSON.parse(u.components_json);
        } catch {
          named = [];
        }
        const touched = new Set<string>();
        for (const c of named) {
          const mine = open.get(c.id);
          if (!mine || !created.has(c.id)) continue;
          if (CLOSED.has(u.status) || c.status === 'operational') mine.delete(u.incident_id);
          else mine.set(u.incident_id, c.status);
          touched.add(c.id);
        }
        if (CLOSED.has(u.status)) for (const [id, mine] of open) if (mine.delete(u.incident_id)) touched.add(id);
        for (const id of touched) {
          let worst = 'operational';
          for (const s of open.get(id)!.values()) if ((SEVERITY[s] ?? 0) > (SEVERITY[worst] ?? 0)) worst = s;
          if (u.created_at >= created.get(id)!) record(id, worst, u.created_at);
        }
      },
    });
  }
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const e of events) e.apply();
  // What the component shows now is the last word, whatever set it (a maintenance, an edit).
  for (const c of components) if (shown.get(c.id) !== c.status) record(c.id, c.status, c.updated_at);
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('component_status_changes')
      .values(rows.slice(i, i + 200))
      .execute();
}

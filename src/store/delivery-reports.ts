// What the console shows about deliveries: the latest rows across incidents, and the states of an incident's
// updates. (An update's recipients are read with listRecipientDeliveries in deliveries-repo.)
import type { Executor } from './executor.js';

export interface RecentDelivery {
  updateId: string;
  incidentId: string;
  incidentTitle: string;
  channel: string;
  state: string;
  error: string | null;
  externalUrl: string | null;
  updatedAt: string;
}

/** The latest delivery rows with their incident's title; `failuresOnly` keeps failed and partial ones. */
export async function recentDeliveries(
  db: Executor,
  options: { limit?: number; failuresOnly?: boolean } = {},
): Promise<RecentDelivery[]> {
  let query = db
    .selectFrom('deliveries as d')
    .innerJoin('incidents as i', 'i.id', 'd.incident_id')
    .select([
      'd.update_id',
      'd.incident_id',
      'i.title',
      'd.channel',
      'd.state',
      'd.error',
      'd.external_url',
      'd.updated_at',
    ])
    .orderBy('d.updated_at', 'desc')
    .limit(options.limit ?? 15);
  if (options.failuresOnly) query = query.where('d.state', 'in', ['failed', 'partial']);
  const rows = await query.execute();
  return rows.map((r) => ({
    updateId: r.update_id,
    incidentId: r.incident_id,
    incidentTitle: r.title,
    channel: r.channel,
    state: r.state,
    error: r.error,
    externalUrl: r.external_url,
    updatedAt: r.updated_at,
  }));
}

/** Delivery states per update of an incident, for the timeline. */
export async function deliveryStatesByUpdate(
  db: Executor,
  incidentId: string,
): Promise<Map<string, Array<{ channel: string; state: string }>>> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['update_id', 'channel', 'state'])
    .where('incident_id', '=', incidentId)
    .orderBy('channel')
    .execute();
  const map = new Map<string, Array<{ channel: string; state: string }>>();
  for (const row of rows) {
    const list = map.get(row.update_id) ?? [];
    list.push({ channel: row.channel, state: row.state });
    map.set(row.update_id, list);
  }
  return map;
}

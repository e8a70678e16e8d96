import { sql } from 'kysely';
import type { Executor } from '../store/executor.js';

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

export async function nextUpdateNumber(db: Executor, incidentId: string): Promise<number> {
  const row = await db
    .selectFrom('incident_updates')
    .select((eb) => eb.fn.max('number').as('n'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
  return Number(row?.n ?? 0) + 1;
}

/** Subscribers whose address contains `q` (case-insensitive), optionally of one kind. */
export async function searchSubscribers(
  db: Executor,
  options: { q?: string; kind?: string; limit?: number; after?: string },
) {
  let query = db
    .selectFrom('subscribers')
    .selectAll()
    .orderBy('id')
    .limit(options.limit ?? 200);
  if (options.q) {
    const pattern = `%${options.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`lower(address) like ${pattern} escape '\\'`);
  }
  if (options.kind) query = query.where('kind', '=', options.kind);
  if (options.after) query = query.where('id', '>', options.after);
  return query.execute();
}

export interface FailedRecipient {
  channel: string;
  address: string;
  error: string | null;
  attempts: number;
}

/** Recipients of an update's audience deliveries that failed, with the reason (at most `limit` per update). */
export async function failedRecipients(db: Executor, updateId: string, limit = 50): Promise<FailedRecipient[]> {
  const rows = await db
    .selectFrom('recipient_deliveries as r')
    .innerJoin('deliveries as d', 'd.id', 'r.delivery_id')
    .leftJoin('subscribers as s', 's.id', 'r.subscriber_id')
    .select(['d.channel', 's.address', 'r.subscriber_id', 'r.error', 'r.attempts'])
    .where('d.update_id', '=', updateId)
    .where('r.state', '=', 'failed')
    .orderBy('d.channel')
    .orderBy('r.updated_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    channel: r.channel,
    address: r.address ?? `(deleted subscriber ${r.subscriber_id})`,
    error: r.error,
    attempts: Number(r.attempts),
  }));
}

import type { Executor } from '../store/executor.js';

/**
 * An update reaches a subscriber when the subscriber follows every component (empty filter), when the incident
 * affects no component, or when any affected component is in the subscriber's filter.
 */
export function matchesComponents(filter: readonly string[], affected: ReadonlySet<string>): boolean {
  if (filter.length === 0 || affected.size === 0) return true;
  return filter.some((id) => affected.has(id));
}

export interface ScannedSubscriber {
  id: string;
  components_json: string;
}

/**
 * One keyset page of confirmed, active subscribers of a kind: ORDER BY id, WHERE id > after. Only the id and
 * the filter are read, so a page costs the same at the first and at the millionth subscriber.
 */
export async function scanSubscribers(
  db: Executor,
  kind: string,
  after: string | null,
  limit: number,
): Promise<ScannedSubscriber[]> {
  let query = db
    .selectFrom('subscribers')
    .select(['id', 'components_json'])
    .where('kind', '=', kind)
    .where('confirmed_at', 'is not', null)
    .where('state', '=', 'active')
    .orderBy('id')
    .limit(limit);
  if (after) query = query.where('id', '>', after);
  return query.execute();
}

/** Filters a scanned page; parses each filter once (an empty filter, '[]', needs no parsing). */
export function matchingIds(rows: readonly ScannedSubscriber[], affected: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const row of rows) {
    if (
      row.components_json === '[]' ||
      affected.size === 0 ||
      matchesComponents(JSON.parse(row.components_json) as string[], affected)
    )
      out.push(row.id);
  }
  return out;
}

import { createHmac } from 'node:crypto';

/**
 * An update reaches a subscriber when the subscriber follows every component (empty filter), when the incident
 * affects no component, or when any affected component is in the subscriber's filter.
 */
export function matchesComponents(filter: readonly string[], affected: ReadonlySet<string>): boolean {
  if (filter.length === 0 || affected.size === 0) return true;
  return filter.some((id) => affected.has(id));
}

/** The subscribers of a scanned page an update reaches; each filter parsed once ('[]' needs no parsing). */
export function matchingIds(
  rows: ReadonlyArray<{ id: string; components_json: string }>,
  affected: ReadonlySet<string>,
): string[] {
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

/**
 * How an address is kept on the suppression list: only as an HMAC of (kind, address) with HERALD_SECRET, enough to
 * skip an unsubscribed or bounced address on re-import, not enough to list them. Channels compute it for the
 * addresses they see refused.
 */
export const addressHash = (secret: string, kind: string, address: string) =>
  createHmac('sha256', secret).update(`suppression\0${kind}\0${address}`).digest('base64url');

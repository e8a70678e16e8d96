import type { SubscriberKind } from '../domain/types.js';
import type { Executor } from '../store/executor.js';

export type Reach = Record<SubscriberKind, number>;

/**
 * Confirmed, active (not suppressed or quarantined) subscribers an update reaches, by kind: those who follow every component (empty list) plus
 * those who follow one of `componentIds`. With no components named, only the follow-everything ones.
 */
export async function countReach(db: Executor, componentIds: readonly string[]): Promise<Reach> {
  const reach: Reach = { email: 0, sms: 0, webhook: 0 };
  const everything = await db
    .selectFrom('subscribers')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .where('confirmed_at', 'is not', null)
    .where('state', '=', 'active')
    .where('components_json', '=', '[]')
    .groupBy('kind')
    .execute();
  for (const row of everything) if (row.kind in reach) reach[row.kind as SubscriberKind] += Number(row.n);
  if (componentIds.length === 0) return reach;
  const wanted = new Set(componentIds);
  const scoped = await db
    .selectFrom('subscribers')
    .select(['kind', 'components_json'])
    .where('confirmed_at', 'is not', null)
    .where('state', '=', 'active')
    .where('components_json', '!=', '[]')
    .execute();
  for (const row of scoped) {
    const follows = JSON.parse(row.components_json) as string[];
    if (row.kind in reach && follows.some((id) => wanted.has(id))) reach[row.kind as SubscriberKind] += 1;
  }
  return reach;
}

export async function countSubscribers(db: Executor): Promise<{ total: number; confirmed: number }> {
  const row = await db
    .selectFrom('subscribers')
    .select([(eb) => eb.fn.countAll<number>().as('total'), (eb) => eb.fn.count<number>('confirmed_at').as('confirmed')])
    .executeTakeFirst();
  return { total: Number(row?.total ?? 0), confirmed: Number(row?.confirmed ?? 0) };
}

import type { Selectable } from 'kysely';
import type { Executor } from './executor.js';
import type { FanoutPagesTable, FanoutsTable } from './schema.js';

// The planning side of an audience delivery: its fanouts row (how far planning got), its pages (subscriber id
// ranges, one job each) and its recipient rows (one per subscriber the update goes to).

export type FanoutRow = Selectable<FanoutsTable>;
export type FanoutPageRow = Selectable<FanoutPagesTable>;

/** Names one page of one generation of an audience delivery. */
export interface PageKey {
  deliveryId: string;
  generation: number;
  seq: number;
}

export function getFanout(db: Executor, deliveryId: string): Promise<FanoutRow | undefined> {
  return db.selectFrom('fanouts').selectAll().where('delivery_id', '=', deliveryId).executeTakeFirst();
}

/**
 * Starts planning a generation of an audience delivery from scratch. A retry (a new generation) sends again only
 * to those not reached yet: the rows already sent stay and count as delivered; every other recipient row, every
 * page and the old plan go. Returns the new plan.
 */
export async function startFanout(
  db: Executor,
  deliveryId: string,
  generation: number,
  now: string,
): Promise<FanoutRow> {
  await db.transaction().execute(async (tx) => {
    await tx
      .deleteFrom('recipient_deliveries')
      .where('delivery_id', '=', deliveryId)
      .where('state', '!=', 'sent')
      .execute();
    await tx.deleteFrom('fanout_pages').where('delivery_id', '=', deliveryId).execute();
    const sent = await tx
      .selectFrom('recipient_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
    const already = Number(sent?.n ?? 0);
    await tx
      .updateTable('deliveries')
      .set({ total: already, delivered: already, failed: 0, updated_at: now })
      .where('id', '=', deliveryId)
      .where('generation', '=', generation)
      .execute();
    await tx.deleteFrom('fanouts').where('delivery_id', '=', deliveryId).execute();
    await tx
      .insertInto('fanouts')
      .values({ delivery_id: deliveryId, generation, cursor: null, pages: 0, planned: 0, updated_at: now })
      .execute();
  });
  return (await getFanout(db, deliveryId))!;
}

/**
 * Records one keyset step of planning in one transaction: a recipient row per matched subscriber (a repeat adds
 * nothing: UNIQUE (delivery, subscriber)), the page row when any was new, the plan's cursor, and the new rows on
 * the delivery's total. Returns how many recipient rows were new (0: no page to send).
 */
export async function recordPlannedPage(
  db: Executor,
  step: PageKey & { afterId: string; lastId: string | null; subscriberIds: readonly string[]; planned: boolean },
  now: string,
): Promise<number> {
  const { deliveryId, generation, seq } = step;
  return db.transaction().execute(async (tx) => {
    let count = 0;
    for (let i = 0; i < step.subscriberIds.length; i += 250) {
      const result = await tx
        .insertInto('recipient_deliveries')
        .values(
          step.subscriberIds.slice(i, i + 250).map((id) => ({
            delivery_id: deliveryId,
            subscriber_id: id,
            state: 'pending',
            attempts: 0,
            external_id: null,
            error: null,
            updated_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['delivery_id', 'subscriber_id']).doNothing())
        .executeTakeFirst();
      count += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    if (count > 0) {
      await tx
        .insertInto('fanout_pages')
        .values({
          delivery_id: deliveryId,
          generation,
          seq,
          after_id: step.afterId,
          last_id: step.lastId!,
          count,
          done: 0,
        })
        .execute();
    }
    await tx
      .updateTable('fanouts')
      .set({ cursor: step.lastId, pages: count > 0 ? seq + 1 : seq, planned: step.planned ? 1 : 0, updated_at: now })
      .where('delivery_id', '=', deliveryId)
      .where('generation', '=', generation)
      .execute();
    await tx
      .updateTable('deliveries')
      .set((eb) => ({ total: eb('total', '+', count), updated_at: now }))
      .where('id', '=', deliveryId)
      .where('generation', '=', generation)
      .execute();
    return count;
  });
}

/** The pages of a generation not done yet, in order. */
export async function openPages(db: Executor, deliveryId: string, generation: number): Promise<number[]> {
  const rows = await db
    .selectFrom('fanout_pages')
    .select(['seq'])
    .where('delivery_id', '=', deliveryId)
    .where('generation', '=', generation)
    .where('done', '=', 0)
    .orderBy('seq')
    .execute();
  return rows.map((r) => Number(r.seq));
}

export const getPage = (db: Executor, key: PageKey): Promise<FanoutPageRow | undefined> =>
  db
    .selectFrom('fanout_pages')
    .selectAll()
    .where('delivery_id', '=', key.deliveryId)
    .where('generation', '=', key.generation)
    .where('seq', '=', key.seq)
    .executeTakeFirst();

export async function markPageDone(db: Executor, key: PageKey): Promise<void> {
  await db
    .updateTable('fanout_pages')
    .set({ done: 1 })
    .where('delivery_id', '=', key.deliveryId)
    .where('generation', '=', key.generation)
    .where('seq', '=', key.seq)
    .execute();
}

/** A page whose job BullMQ failed for good: its recipients still pending or sending are recorded failed. */
export async function failRestOfPage(db: Executor, key: PageKey, error: string, now: string): Promise<void> {
  const page = await getPage(db, key);
  if (!page) return;
  await db.transaction().execute(async (tx) => {
    const result = await tx
      .updateTable('recipient_deliveries')
      .set({ state: 'failed', error, updated_at: now })
      .where('delivery_id', '=', key.deliveryId)
      .where('subscriber_id', '>', page.after_id)
      .where('subscriber_id', '<=', page.last_id)
      .where('state', 'in', ['pending', 'sending'])
      .executeTakeFirst();
    const n = Number(result.numUpdatedRows);
    await tx
      .updateTable('deliveries')
      .set((eb) => ({ failed: eb('failed', '+', n), updated_at: now }))
      .where('id', '=', key.deliveryId)
      .where('generation', '=', key.generation)
      .execute();
    await markPageDone(tx, key);
  });
}

/**
 * What a fan-out needs of a recipient's subscriber, joined as `s` beside its recipient row (null fields once the
 * subscriber was deleted): the incident fan-out's pages and component events read the same.
 */
export const RECIPIENT_SUBSCRIBER_COLUMNS = [
  's.id as sid',
  's.kind',
  's.address',
  's.secret',
  's.webhook_format',
  's.state as sstate',
  's.confirmed_at',
] as const;

/** One recipient of a page as the page job sees it: its row, and its subscriber (null fields once deleted). */
export interface PageRecipient {
  subscriber_id: string;
  state: string;
  updated_at: string;
  attempts: number;
  sid: string | null;
  kind: string | null;
  address: string | null;
  secret: string | null;
  webhook_format: string | null;
  sstate: string | null;
  confirmed_at: string | null;
}

/** A page's recipients still to send (pending, or left 'sending' by an attempt that died), in id order. */
export function unsentRecipients(db: Executor, deliveryId: string, page: FanoutPageRow): Promise<PageRecipient[]> {
  return db
    .selectFrom('recipient_deliveries as r')
    .leftJoin('subscribers as s', 's.id', 'r.subscriber_id')
    .select(['r.subscriber_id', 'r.state', 'r.updated_at', 'r.attempts', ...RECIPIENT_SUBSCRIBER_COLUMNS])
    .where('r.delivery_id', '=', deliveryId)
    .where('r.subscriber_id', '>', page.after_id)
    .where('r.subscriber_id', '<=', page.last_id)
    .where('r.state', 'in', ['pending', 'sending'])
    .orderBy('r.subscriber_id')
    .execute();
}

/**
 * Claims recipients for sending (→ 'sending', one more attempt): only those still as the caller saw them, pending
 * or left 'sending' at or before `staleBefore`. Returns the ids claimed: a second copy of a page gets none of them.
 */
export async function claimRecipients(
  db: Executor,
  deliveryId: string,
  subscriberIds: readonly string[],
  staleBefore: string,
  now: string,
): Promise<Set<string>> {
  const claimed = await db
    .updateTable('recipient_deliveries')
    .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('delivery_id', '=', deliveryId)
    .where('subscriber_id', 'in', [...subscriberIds])
    .where((eb) =>
      eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'sending'), eb('updated_at', '<=', staleBefore)])]),
    )
    .returning('subscriber_id')
    .execute();
  return new Set(claimed.map((r) => r.subscriber_id));
}

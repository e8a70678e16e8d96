import { type QueryCreator, sql } from 'kysely';
import { type Rejection, applyRejection, countFailure, resetFailureCounts } from './audience-repo.js';
import type { Dialect } from './db.js';
import type { Executor } from './executor.js';
import { listParam, listParams, listShape, prepared } from './prepared.js';
import type { Database } from './schema.js';

/** What happened to one recipient of a page in one attempt. */
export type RecipientOutcome =
  | { kind: 'sent'; id: string; externalId?: string }
  | { kind: 'failed'; id: string; error: string; rejected?: Rejection }
  | { kind: 'retry'; id: string; error: string }
  | { kind: 'skipped'; id: string };

/** What one batch's write changed, for the page's counts and log. */
export interface RecordedBatch {
  delivered: number;
  failed: number;
  skipped: number;
  retries: number;
  lastError: string;
  /** Endpoints this batch quarantined (webhooks), with their run of failures. */
  quarantined: Array<{ id: string; failures: number; error: string }>;
  /** Subscribers a provider refused for good, with the state they moved to. */
  refused: Array<{ id: string; state: 'suppressed' | 'disabled'; reason: string }>;
}

/**
 * Records a batch of outcomes: one transaction (on PostgreSQL, for a batch of plain sends, one statement) moves the
 * recipient rows out of 'sending' and adds exactly the rows it moved to the delivery row's counters, so the counters
 * never drift, even when an attempt dies between a send and its record. Safe to run again after a failure: a failed
 * transaction rolled back whole, and only rows still 'sending' move. `quarantineAfter` (webhooks): consecutive
 * failures after which an endpoint is quarantined, and a retry of a quarantined one becomes a failure.
 */
export async function recordRecipientOutcomes(
  db: Executor,
  dialect: Dialect,
  delivery: { deliveryId: string; generation: number },
  batch: RecipientOutcome[],
  now: string,
  quarantineAfter?: number,
): Promise<RecordedBatch> {
  const { deliveryId, generation } = delivery;
  const recorded: RecordedBatch = {
    delivered: 0,
    failed: 0,
    skipped: 0,
    retries: 0,
    lastError: '',
    quarantined: [],
    refused: [],
  };
  if (dialect === 'postgres' && !quarantineAfter && batch.every((o) => o.kind === 'sent' && !o.externalId)) {
    // The common batch (messages sent, no provider id to keep) in one statement: one round trip instead of four
    // (BEGIN, two updates, COMMIT), which also narrows the window in which sent messages are not yet recorded.
    const [row] = (
      await markSentAndCount<{ moved: string | number }>(db, {
        deliveryId,
        generation: String(generation),
        now,
        ...listParams(
          'id',
          batch.map((o) => o.id),
        ),
      })
    ).rows;
    recorded.delivered = Number(row?.moved ?? 0);
    return recorded;
  }
  await db.transaction().execute(async (tx) => {
    const outcomes = quarantineAfter ? await countEndpointFailures(tx, batch, quarantineAfter, now, recorded) : batch;
    const sent = outcomes.filter((o): o is Extract<RecipientOutcome, { kind: 'sent' }> => o.kind === 'sent');
    const plain = sent.filter((o) => !o.externalId).map((o) => o.id);
    if (plain.length > 0) {
      const r = await markSent(tx, { deliveryId, now, ...listParams('id', plain) });
      recorded.delivered += Number(r.numAffectedRows ?? 0);
    }
    for (const o of sent) {
      if (!o.externalId) continue;
      const r = await tx
        .updateTable('recipient_deliveries')
        .set({ state: 'sent', external_id: o.externalId, updated_at: now })
        .where('delivery_id', '=', deliveryId)
        .where('subscriber_id', '=', o.id)
        .where('state', '=', 'sending')
        .executeTakeFirst();
      recorded.delivered += Number(r.numUpdatedRows);
    }
    for (const o of outcomes) {
      if (o.kind === 'failed') {
        const r = await tx
          .updateTable('recipient_deliveries')
          .set({ state: 'failed', error: o.error.slice(0, 1000), updated_at: now })
          .where('delivery_id', '=', deliveryId)
          .where('subscriber_id', '=', o.id)
          .where('state', 'in', ['pending', 'sending'])
          .executeTakeFirst();
        recorded.failed += Number(r.numUpdatedRows);
        const state = o.rejected ? await applyRejection(tx, o.id, o.rejected, now) : undefined;
        if (state) recorded.refused.push({ id: o.id, state, reason: o.error });
      } else if (o.kind === 'retry') {
        await tx
          .updateTable('recipient_deliveries')
          .set({ state: 'pending', error: o.error.slice(0, 1000), updated_at: now })
          .where('delivery_id', '=', deliveryId)
          .where('subscriber_id', '=', o.id)
          .where('state', '=', 'sending')
          .execute();
        recorded.retries++;
        recorded.lastError = o.error;
      } else if (o.kind === 'skipped') {
        const r = await tx
          .updateTable('recipient_deliveries')
          .set({
            state: 'skipped',
            error: 'unsubscribed, suppressed or disabled since the update was published',
            updated_at: now,
          })
          .where('delivery_id', '=', deliveryId)
          .where('subscriber_id', '=', o.id)
          .where('state', 'in', ['pending', 'sending'])
          .executeTakeFirst();
        recorded.skipped += Number(r.numUpdatedRows);
      }
    }
    const { delivered, failed, skipped } = recorded;
    if (delivered + failed + skipped > 0)
      await addToCounters(tx, { deliveryId, generation, delivered, failed, skipped, now });
  });
  return recorded;
}

/**
 * Webhook endpoints: consecutive failures quarantine; a success resets the count. A retry for an endpoint that is
 * (or just became) quarantined is a failure instead. Returns the outcomes to record.
 */
async function countEndpointFailures(
  tx: Executor,
  batch: RecipientOutcome[],
  quarantineAfter: number,
  now: string,
  recorded: RecordedBatch,
): Promise<RecipientOutcome[]> {
  await resetFailureCounts(
    tx,
    batch.filter((o) => o.kind === 'sent').map((o) => o.id),
  );
  const outcomes: RecipientOutcome[] = [];
  for (const o of batch) {
    if (o.kind !== 'retry' && o.kind !== 'failed') {
      outcomes.push(o);
      continue;
    }
    const after = await countFailure(tx, o.id, o.error, quarantineAfter, now);
    if (after?.quarantinedNow) recorded.quarantined.push({ id: o.id, failures: after.failures, error: o.error });
    const quarantined = after && (after.state === 'quarantined' || after.failures >= quarantineAfter);
    outcomes.push(
      quarantined && o.kind === 'retry'
        ? { kind: 'failed', id: o.id, error: `endpoint quarantined after repeated failures (last: ${o.error})` }
        : o,
    );
  }
  return outcomes;
}

/** Moves a batch's recipient rows that went out (no provider id to keep) from 'sending' to 'sent'. */
const sentRowsUpdate = (db: QueryCreator<Database>, p: Record<string, string>) =>
  db
    .updateTable('recipient_deliveries')
    .set({ state: 'sent', updated_at: p.now! })
    .where('delivery_id', '=', p.deliveryId!)
    .where('subscriber_id', 'in', listParam(p, 'id'))
    .where('state', '=', 'sending');

/** One statement per batch. */
const markSent = prepared(sentRowsUpdate, listShape('id'));

/**
 * PostgreSQL: markSent and addToCounters as one statement (data-modifying CTEs), answering how many rows moved.
 * Both updates run whatever the other matches, as in the transaction they replace.
 */
const markSentAndCount = prepared(
  (db, p: Record<string, string>) =>
    db
      .with('moved', (db) => sentRowsUpdate(db, p).returning('subscriber_id'))
      .with('counted', (db) =>
        db
          .updateTable('deliveries')
          .set((eb) => ({
            delivered: eb(
              'delivered',
              '+',
              eb.selectFrom('moved').select((m) => m.fn.countAll<number>().as('n')),
            ),
            updated_at: p.now!,
          }))
          .where('id', '=', p.deliveryId!)
          .where('generation', '=', sql<number>`cast(${p.generation!} as integer)`)
          .returning('id'),
      )
      .selectFrom('moved')
      .select((eb) => eb.fn.countAll().as('moved')),
  listShape('id'),
);

/** Adds exactly the recipient rows a batch moved to the delivery row's counters. */
const addToCounters = prepared(
  (
    tx,
    p: { deliveryId: string; generation: number; delivered: number; failed: number; skipped: number; now: string },
  ) =>
    tx
      .updateTable('deliveries')
      .set((eb) => ({
        delivered: eb('delivered', '+', p.delivered),
        failed: eb('failed', '+', p.failed),
        total: eb('total', '-', p.skipped),
        updated_at: p.now,
      }))
      .where('id', '=', p.deliveryId)
      .where('generation', '=', p.generation),
);

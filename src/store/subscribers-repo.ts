import { type Selectable, sql } from 'kysely';
import { newId } from '../domain/ids.js';
import type { Subscriber, SubscriberKind, WebhookFormat } from '../domain/types.js';
import type { Executor } from './executor.js';
import type { SubscribersTable } from './schema.js';

/** active | suppressed (hard bounce, STOP) | disabled (webhook answered 410) | quarantined (webhook kept failing). */
export type SubscriberState = 'active' | 'suppressed' | 'disabled' | 'quarantined';

export function toSubscriber(
  row: Selectable<SubscribersTable>,
): Subscriber & { state: SubscriberState; lastError?: string } {
  const kind = row.kind as SubscriberKind;
  return {
    state: (row.state ?? 'active') as SubscriberState,
    ...(row.last_error ? { lastError: row.last_error } : {}),
    id: row.id,
    kind,
    email: kind === 'email' ? row.address : null,
    phone: kind === 'sms' ? row.address : null,
    webhookUrl: kind === 'webhook' ? row.address : null,
    components: JSON.parse(row.components_json) as string[],
    confirmed: row.confirmed_at !== null,
    confirmedAt: row.confirmed_at,
    createdAt: row.created_at,
    ...(kind === 'webhook' ? { format: (row.webhook_format ?? 'herald') as WebhookFormat } : {}),
  };
}

export interface NewSubscriber {
  kind: SubscriberKind;
  address: string;
  components: string[];
  confirmed: boolean;
  secret: string | null;
  /** An opt-in message is asked for now (its time is the row's confirmation_sent_at). */
  confirmationRequested?: boolean;
  /** Webhooks: the body's format; default Herald's own. */
  format?: WebhookFormat;
}

/**
 * A new subscriber's row: active, never failed, confirmed now when `confirmed`. Exported for the test fixtures,
 * which insert thousands of these in one statement.
 */
export function newSubscriberRow(
  input: NewSubscriber,
  now: string,
  id: string = newId(),
): Selectable<SubscribersTable> {
  return {
    id,
    kind: input.kind,
    address: input.address,
    components_json: JSON.stringify(input.components),
    confirmed_at: input.confirmed ? now : null,
    secret: input.secret,
    created_at: now,
    updated_at: now,
    state: 'active',
    failure_count: 0,
    last_error: null,
    confirmation_sent_at: input.confirmationRequested ? now : null,
    webhook_format: input.kind === 'webhook' && input.format === 'statuspage' ? 'statuspage' : null,
  };
}

export async function insertSubscriber(
  db: Executor,
  input: NewSubscriber,
  now: string,
): Promise<Selectable<SubscribersTable>> {
  const row = newSubscriberRow(input, now);
  await db.insertInto('subscribers').values(row).execute();
  return row;
}

/** Inserts the subscriber unless one of the same kind and address exists; whether it was inserted. */
export async function insertSubscriberUnlessPresent(db: Executor, input: NewSubscriber, now: string): Promise<boolean> {
  const inserted = await db
    .insertInto('subscribers')
    .values(newSubscriberRow(input, now))
    .onConflict((oc) => oc.columns(['kind', 'address']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findSubscriberById(db: Executor, id: string) {
  return db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findSubscriber(db: Executor, kind: SubscriberKind, address: string) {
  return db
    .selectFrom('subscribers')
    .selectAll()
    .where('kind', '=', kind)
    .where('address', '=', address)
    .executeTakeFirst();
}

export async function listSubscribers(db: Executor, options: { after?: string; limit?: number } = {}) {
  let query = db
    .selectFrom('subscribers')
    .selectAll()
    .orderBy('id')
    .limit(options.limit ?? 1000);
  if (options.after) query = query.where('id', '>', options.after);
  return (await query.execute()).map(toSubscriber);
}

export async function deleteSubscriber(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('subscribers').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function markSubscriberConfirmed(db: Executor, id: string, now: string): Promise<void> {
  await db.updateTable('subscribers').set({ confirmed_at: now, updated_at: now }).where('id', '=', id).execute();
}

/**
 * Claims the right to send another opt-in message: moves the subscriber's confirmation_sent_at from `previous`
 * (what the caller read) to `now`, with the components asked for this time. Of two sign-ups racing, one claims.
 */
export async function claimConfirmationResend(
  db: Executor,
  claim: { id: string; previous: string | null; components: readonly string[]; now: string },
): Promise<boolean> {
  const { previous, now } = claim;
  const claimed = await db
    .updateTable('subscribers')
    .set({ confirmation_sent_at: now, components_json: JSON.stringify(claim.components), updated_at: now })
    .where('id', '=', claim.id)
    .where((eb) =>
      previous === null ? eb('confirmation_sent_at', 'is', null) : eb('confirmation_sent_at', '=', previous),
    )
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) > 0;
}

/** Forgets the opt-in request made at `requestedAt` (its message could not be queued), unless a newer one replaced it. */
export async function clearConfirmationRequest(db: Executor, id: string, requestedAt: string): Promise<void> {
  await db
    .updateTable('subscribers')
    .set({ confirmation_sent_at: null })
    .where('id', '=', id)
    .where('confirmation_sent_at', '=', requestedAt)
    .execute();
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

export type Reach = Record<SubscriberKind, number>;

/**
 * Confirmed, active (not suppressed or quarantined) subscribers an update reaches, by kind: those who follow every
 * component (empty list) plus those who follow one of `componentIds`. With no components named, only the
 * follow-everything ones.
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

/** Every subscriber, and the confirmed ones among them. */
export async function countSubscribers(db: Executor): Promise<{ total: number; confirmed: number }> {
  const row = await db
    .selectFrom('subscribers')
    .select([(eb) => eb.fn.countAll<number>().as('total'), (eb) => eb.fn.count<number>('confirmed_at').as('confirmed')])
    .executeTakeFirst();
  return { total: Number(row?.total ?? 0), confirmed: Number(row?.confirmed ?? 0) };
}

/** The components a subscriber follows (empty: every component), as chosen on the preference page. */
export async function setSubscriberComponents(
  db: Executor,
  id: string,
  components: readonly string[],
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('subscribers')
    .set({ components_json: JSON.stringify(components), updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

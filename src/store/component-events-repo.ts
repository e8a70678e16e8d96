import type { ComponentStatus } from '../domain/enums.js';
import type { Executor } from './executor.js';
import type { ComponentEventRecipientsTable } from './schema.js';

// Component events: a component's status changed outside an incident update (see components-repo's
// patchComponent, which stores them). The engine's component-events job reads one, writes a row per recipient
// (UNIQUE (event, channel, subscriber)) and records each send there, so a retried or taken-over job sends each
// recipient the event once.

export interface ComponentEvent {
  id: string;
  component: { id: string; name: string };
  oldStatus: ComponentStatus;
  newStatus: ComponentStatus;
  at: string;
  /** Every component's status right after the change (each once); null for an event stored before migration 015. */
  pageStatuses: ComponentStatus[] | null;
  /** When its recipients were listed: a retry sends to those only. */
  recipientsListedAt: string | null;
  doneAt: string | null;
}

export async function getComponentEvent(db: Executor, id: string): Promise<ComponentEvent | undefined> {
  const row = await db
    .selectFrom('component_events as e')
    .innerJoin('components as c', 'c.id', 'e.component_id')
    .select([
      'e.id',
      'e.component_id',
      'e.component_name',
      'c.name',
      'e.old_status',
      'e.new_status',
      'e.at',
      'e.page_statuses',
      'e.recipients_listed_at',
      'e.done_at',
    ])
    .where('e.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    // The name at the change; an event stored before migration 015 has only the name now.
    component: { id: row.component_id, name: row.component_name ?? row.name },
    oldStatus: row.old_status as ComponentStatus,
    newStatus: row.new_status as ComponentStatus,
    at: row.at,
    pageStatuses: row.page_statuses === null ? null : (JSON.parse(row.page_statuses) as ComponentStatus[]),
    recipientsListedAt: row.recipients_listed_at,
    doneAt: row.done_at,
  };
}

/** The event's recipients are listed: from now on its job sends to those rows only. */
export async function markComponentEventRecipientsListed(db: Executor, id: string, now: string): Promise<void> {
  await db
    .updateTable('component_events')
    .set({ recipients_listed_at: now })
    .where('id', '=', id)
    .where('recipients_listed_at', 'is', null)
    .execute();
}

/** Events not sent to the end and older than `before`: the sweeper checks each has its job. */
export async function unfinishedComponentEvents(db: Executor, before: string): Promise<string[]> {
  const rows = await db
    .selectFrom('component_events')
    .select('id')
    .where('done_at', 'is', null)
    .where('at', '<', before)
    .orderBy('id')
    .limit(500)
    .execute();
  return rows.map((r) => r.id);
}

export async function markComponentEventDone(db: Executor, id: string, now: string): Promise<void> {
  await db.updateTable('component_events').set({ done_at: now }).where('id', '=', id).execute();
}

/** One pending row per subscriber (a row already there stays as it is). */
export async function addComponentEventRecipients(
  db: Executor,
  eventId: string,
  channel: string,
  subscriberIds: readonly string[],
  now: string,
): Promise<void> {
  if (subscriberIds.length === 0) return;
  await db
    .insertInto('component_event_recipients')
    .values(
      subscriberIds.map((subscriber_id) => ({
        event_id: eventId,
        channel,
        subscriber_id,
        state: 'pending' as const,
        attempts: 0,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['event_id', 'channel', 'subscriber_id']).doNothing())
    .execute();
}

export interface ComponentEventRecipient {
  subscriberId: string;
  state: ComponentEventRecipientsTable['state'];
  attempts: number;
  updatedAt: string;
  /** The subscriber as it is now; null when it was removed. */
  subscriber: {
    kind: string;
    address: string;
    secret: string | null;
    format: string | null;
    active: boolean;
  } | null;
}

/** The recipients of an event on a channel not yet sent, failed or skipped. */
export async function unsentComponentEventRecipients(
  db: Executor,
  eventId: string,
  channel: string,
): Promise<ComponentEventRecipient[]> {
  const rows = await db
    .selectFrom('component_event_recipients as r')
    .leftJoin('subscribers as s', 's.id', 'r.subscriber_id')
    .select([
      'r.subscriber_id',
      'r.state',
      'r.attempts',
      'r.updated_at',
      's.id as sid',
      's.kind',
      's.address',
      's.secret',
      's.webhook_format',
      's.state as sstate',
      's.confirmed_at',
    ])
    .where('r.event_id', '=', eventId)
    .where('r.channel', '=', channel)
    .where('r.state', 'in', ['pending', 'sending'])
    .orderBy('r.subscriber_id')
    .execute();
  return rows.map((r) => ({
    subscriberId: r.subscriber_id,
    state: r.state,
    attempts: Number(r.attempts),
    updatedAt: r.updated_at,
    subscriber: r.sid
      ? {
          kind: r.kind!,
          address: r.address!,
          secret: r.secret ?? null,
          format: r.webhook_format ?? null,
          active: r.sstate === 'active' && r.confirmed_at !== null,
        }
      : null,
  }));
}

/**
 * Claims a recipient for a send (pending, or left 'sending' by an attempt older than `staleBefore`): false when
 * another attempt holds or finished it.
 */
export async function claimComponentEventRecipient(
  db: Executor,
  key: { eventId: string; channel: string; subscriberId: string },
  staleBefore: string,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('component_event_recipients')
    .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('event_id', '=', key.eventId)
    .where('channel', '=', key.channel)
    .where('subscriber_id', '=', key.subscriberId)
    .where((eb) =>
      eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'sending'), eb('updated_at', '<', staleBefore)])]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function recordComponentEventOutcome(
  db: Executor,
  key: { eventId: string; channel: string; subscriberId: string },
  outcome: { state: 'pending' | 'sent' | 'failed' | 'skipped'; error?: string },
  now: string,
): Promise<void> {
  await db
    .updateTable('component_event_recipients')
    .set({ state: outcome.state, error: outcome.error ?? null, updated_at: now })
    .where('event_id', '=', key.eventId)
    .where('channel', '=', key.channel)
    .where('subscriber_id', '=', key.subscriberId)
    .execute();
}

/** Each recipient's state, for the admin views and tests. */
export async function componentEventRecipientStates(
  db: Executor,
  eventId: string,
): Promise<Array<{ channel: string; subscriberId: string; state: string; attempts: number; error: string | null }>> {
  const rows = await db
    .selectFrom('component_event_recipients')
    .select(['channel', 'subscriber_id', 'state', 'attempts', 'error'])
    .where('event_id', '=', eventId)
    .orderBy('subscriber_id')
    .execute();
  return rows.map((r) => ({
    channel: r.channel,
    subscriberId: r.subscriber_id,
    state: r.state,
    attempts: Number(r.attempts),
    error: r.error,
  }));
}

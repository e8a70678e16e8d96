import type { ComponentStatus } from '../domain/enums.js';
import { type Rejection, applyRejection, countFailure, resetFailureCounts } from './audience-repo.js';
import type { Executor } from './executor.js';
import { RECIPIENT_SUBSCRIBER_COLUMNS } from './fanout-repo.js';
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
    .select(['r.subscriber_id', 'r.state', 'r.attempts', 'r.updated_at', ...RECIPIENT_SUBSCRIBER_COLUMNS])
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

/** What one send to a recipient of an event came to, as ../pipeline/failure.ts classified it. */
export type ComponentEventSendOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped'; error?: string }
  | { kind: 'retry'; error: string }
  | { kind: 'failed'; error: string; rejected?: Rejection };

export interface RecordedComponentEventSend {
  /** The row's state now ('pending': the job tries it again). */
  state: 'pending' | 'sent' | 'failed' | 'skipped';
  /** The endpoint was quarantined by this failure, after this many consecutive ones. */
  quarantined?: { failures: number };
  /** The provider refused the subscriber for good: the state it moved to. */
  refused?: 'suppressed' | 'disabled';
}

/**
 * Records one send's outcome on its recipient row, and on the subscriber as an incident's fan-out does
 * (recipient-outcomes.ts): with `quarantineAfter` (webhooks) every failed attempt counts toward the endpoint's run
 * of failures, a send resets it, and a retry for an endpoint that is (or just became) quarantined is a failure; a
 * refusal for good suppresses or disables the subscriber. One transaction.
 */
export async function recordComponentEventSend(
  db: Executor,
  key: { eventId: string; channel: string; subscriberId: string },
  outcome: ComponentEventSendOutcome,
  now: string,
  quarantineAfter?: number,
): Promise<RecordedComponentEventSend> {
  return db.transaction().execute(async (tx) => {
    const recorded: RecordedComponentEventSend = { state: 'pending' };
    let error: string | undefined;
    if (outcome.kind === 'sent') {
      recorded.state = 'sent';
      if (quarantineAfter) await resetFailureCounts(tx, [key.subscriberId]);
    } else if (outcome.kind === 'skipped') {
      recorded.state = 'skipped';
      error = outcome.error;
    } else {
      recorded.state = outcome.kind === 'failed' ? 'failed' : 'pending';
      error = outcome.error;
      if (quarantineAfter) {
        const after = await countFailure(tx, key.subscriberId, outcome.error, quarantineAfter, now);
        if (after?.quarantinedNow) recorded.quarantined = { failures: after.failures };
        if (after && outcome.kind === 'retry' && (after.state === 'quarantined' || after.failures >= quarantineAfter)) {
          recorded.state = 'failed';
          error = `endpoint quarantined after repeated failures (last: ${outcome.error})`;
        }
      }
      if (outcome.kind === 'failed' && outcome.rejected)
        recorded.refused = await applyRejection(tx, key.subscriberId, outcome.rejected, now);
    }
    await recordComponentEventOutcome(tx, key, { state: recorded.state, error: error?.slice(0, 1000) }, now);
    return recorded;
  });
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

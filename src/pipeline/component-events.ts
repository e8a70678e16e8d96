import type { Job, Worker } from 'bullmq';
import { type AudienceChannel, type Channel, type Recipient, isAudienceChannel } from '../channels/channel.js';
import { matchingIds } from '../domain/audience.js';
import { nowIso } from '../domain/ids.js';
import type { Logger } from '../runtime/logger.js';
import { scanSubscribers } from '../store/audience-repo.js';
import {
  type ComponentEvent,
  addComponentEventRecipients,
  claimComponentEventRecipient,
  getComponentEvent,
  markComponentEventDone,
  markComponentEventRecipientsListed,
  recordComponentEventOutcome,
  recordComponentEventSend,
  unsentComponentEventRecipients,
} from '../store/component-events-repo.js';
import { listComponents } from '../store/components-repo.js';
import type { Store } from '../store/store.js';
import type { SiteInfo } from './context.js';
import type { EngineJob } from './engine.js';
import { classifyFailure, failJob, jobAttempts } from './failure.js';
import { COMPONENT_EVENTS_QUEUE, type ComponentEventJobData, workerLimiter } from './queues.js';

// A component's status changed outside an incident update (admin API, CLI, console): patchComponent stored the
// change and its event in one transaction (with the component's name and every component's status then, so the
// event describes the change as it happened), and the caller enqueued one job, its id derived from the change. The
// job's first run writes one row per recipient (UNIQUE (event, channel, subscriber)) of each channel that sends
// such events (webhooks), once; every run sends to the rows not yet sent and records each outcome there, counting
// failures toward a webhook endpoint's quarantine as an incident's fan-out does; ./failure.ts decides what a failed
// send does. A retried or taken-over job finds the rows sent before and sends only the rest.

const SCAN_SIZE = 1000;

export interface ComponentEventsOptions {
  store: Store;
  channels: ReadonlyArray<Channel>;
  site: SiteInfo;
  logger: Logger;
  /** A row left 'sending' longer ago than this was a dead attempt's (a job lock's duration). */
  lockDurationMs: number;
}

type Outcome = { outcome: 'sent' | 'noop'; reason: string };

const sendsComponentEvents = (c: Channel): c is AudienceChannel =>
  isAudienceChannel(c) && typeof c.sendComponentChange === 'function';

/** The engine's job for component events; none when no channel sends them. */
export function componentEventsJob(
  options: ComponentEventsOptions,
): EngineJob<ComponentEventJobData, Outcome> | undefined {
  if (!options.channels.some(sendsComponentEvents)) return undefined;
  return {
    queue: COMPONENT_EVENTS_QUEUE,
    concurrency: 2,
    limiter: workerLimiter(),
    process: (job, worker, token) => sendComponentEvent(options, worker, job, token),
  };
}

async function sendComponentEvent(
  options: ComponentEventsOptions,
  worker: Worker,
  job: Job<ComponentEventJobData, Outcome>,
  token: string | undefined,
): Promise<Outcome> {
  const { db } = options.store;
  const event = await getComponentEvent(db, job.data.eventId);
  if (!event) return { outcome: 'noop', reason: 'no such component event (its component was removed)' };
  if (event.doneAt) return { outcome: 'noop', reason: 'sent before' };
  // The change as it happened: the name and every component's status kept with the event when it was written (an
  // event stored before migration 015 has neither: the name and statuses now).
  const change = {
    id: event.id,
    site: { name: options.site.name, url: options.site.publicUrl },
    component: { ...event.component, status: event.newStatus, previousStatus: event.oldStatus },
    at: event.at,
    components: event.pageStatuses?.map((status) => ({ status })) ?? (await listComponents(db)),
  };
  const log = options.logger.child({ componentEvent: event.id, jobId: job.id });
  const attempts = jobAttempts(job);
  const channels = options.channels.filter(sendsComponentEvents);
  // The recipients are listed once, by the first run to get this far: a retry sends to those rows only, so a
  // subscriber who signed up since the change gets none. A run that died while listing lists again (the rows are
  // unique, and nothing was sent yet).
  if (!event.recipientsListedAt) {
    for (const channel of channels) await planRecipients(options, channel, event);
    await markComponentEventRecipientsListed(db, event.id, nowIso());
  }
  let sent = 0;
  let retry: { error: unknown; failure: ReturnType<typeof classifyFailure> } | undefined;
  for (const channel of channels) {
    const quarantineAfter = channel.fanout?.quarantineAfter;
    const staleBefore = new Date(Date.now() - options.lockDurationMs).toISOString();
    for (const row of await unsentComponentEventRecipients(db, event.id, channel.name)) {
      const key = { eventId: event.id, channel: channel.name, subscriberId: row.subscriberId };
      if (!row.subscriber?.active || row.subscriber.kind !== channel.recipientKind) {
        await recordComponentEventOutcome(
          db,
          key,
          { state: 'skipped', error: 'subscriber no longer active' },
          nowIso(),
        );
        continue;
      }
      // A wait for a provider's rate limit holds the rest back: they are sent when the job comes back.
      if (retry?.failure.action === 'wait') break;
      if (!(await claimComponentEventRecipient(db, key, staleBefore, nowIso()))) continue;
      const recipient: Recipient = {
        subscriberId: row.subscriberId,
        kind: channel.recipientKind,
        address: row.subscriber.address,
        secret: row.subscriber.secret,
        ...(row.subscriber.format === 'statuspage' ? { format: 'statuspage' as const } : {}),
      };
      try {
        const result = await channel.sendComponentChange!(change, recipient);
        await recordComponentEventSend(db, key, { kind: result }, nowIso(), quarantineAfter);
        if (result === 'sent') sent++;
      } catch (error) {
        const failure = classifyFailure(error, attempts);
        // Counted toward the endpoint's quarantine as an incident's fan-out counts it (recipient-outcomes.ts).
        const recorded = await recordComponentEventSend(
          db,
          key,
          failure.action === 'fail'
            ? { kind: 'failed', error: failure.message, rejected: failure.rejected }
            : { kind: 'retry', error: failure.message },
          nowIso(),
          quarantineAfter,
        );
        if (recorded.state === 'pending' && (!retry || failure.action === 'wait')) retry = { error, failure };
        log.warn(
          { subscriberId: row.subscriberId, err: failure.message, final: recorded.state === 'failed' },
          'component event not sent',
        );
        if (recorded.quarantined)
          log.warn(
            { subscriberId: row.subscriberId, failures: recorded.quarantined.failures, lastError: failure.message },
            'webhook endpoint quarantined after repeated failures; it gets no more deliveries until its owner fixes it and an admin re-adds it',
          );
        if (recorded.refused)
          log.warn(
            { subscriberId: row.subscriberId, state: recorded.refused, reason: failure.message },
            `subscriber ${recorded.refused}: later updates skip it`,
          );
      }
    }
  }
  if (retry) return failJob(retry.failure, { worker, job, token, scope: 'job' }, retry.error);
  await markComponentEventDone(db, event.id, nowIso());
  return { outcome: sent > 0 ? 'sent' : 'noop', reason: `${sent} recipient(s) sent` };
}

/** A pending row for every active subscriber of the channel's kind who follows the component. */
async function planRecipients(options: ComponentEventsOptions, channel: AudienceChannel, event: ComponentEvent) {
  const { db } = options.store;
  const affected = new Set([event.component.id]);
  let cursor: string | null = null;
  for (;;) {
    const scanned = await scanSubscribers(db, channel.recipientKind, cursor, SCAN_SIZE);
    await addComponentEventRecipients(db, event.id, channel.name, matchingIds(scanned, affected), nowIso());
    if (scanned.length < SCAN_SIZE) return;
    cursor = scanned[scanned.length - 1]!.id;
  }
}

import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import { InputError } from '../domain/errors.js';
import { newId, nowIso } from '../domain/ids.js';
import type { CreateIncidentInput, CreateUpdateInput, PostmortemInput } from '../domain/schemas.js';
import type { Delivery, Incident, IncidentUpdate } from '../domain/types.js';
import type { Logger } from '../runtime/logger.js';
import { storePostmortem, storePublishedUpdate } from '../store/publish-repo.js';
import type { Store } from '../store/store.js';
import { type Channel, sendsComponentEvents } from '../channels/channel.js';
import { incidentUrl } from './context.js';
import type { DeliveryQueues } from './queues.js';

export interface PublishDeps {
  store: Store;
  queues: DeliveryQueues;
  /**
   * Enabled channels in config order: name, kind, for social channels their check of a `socialText`, and for the
   * status page its `refresh` of the current state; webhooks, their `sendComponentChange`.
   */
  channels: ReadonlyArray<
    Pick<Channel, 'name' | 'kind' | 'checkSocialText' | 'refresh'> & { sendComponentChange?: unknown }
  >;
  /** HERALD_PUBLIC_URL: the incident links a `socialText` is checked with. */
  publicUrl: string;
  logger: Logger;
  now?: () => string;
}

export interface Published {
  incident: Incident;
  update: IncidentUpdate;
  deliveries: Delivery[];
}

interface PublishRequest {
  incidentId?: string;
  title?: string;
  impact?: IncidentImpact;
  message: string;
  status?: IncidentStatus;
  components?: Record<string, ComponentStatus>;
  channels?: string[];
  socialText?: string;
  /** Publishes this draft: the incident gets the draft's id, and the draft is published in the same transaction. */
  draft?: { id: string; by: 'commander' | 'holding' };
}

export const openIncident = (deps: PublishDeps, input: CreateIncidentInput) => publish(deps, input);

export const postUpdate = (deps: PublishDeps, incidentId: string, input: CreateUpdateInput) =>
  publish(deps, { ...input, incidentId });

/**
 * The one path every update takes: one transaction stores the update, the incident's and components'
 * new state and one delivery row per target channel (the outbox); then one job per row is enqueued.
 * If Redis is away before the commit (its connection down, or no answer to a PING when none came in the
 * last second), nothing is stored (QueueUnavailableError → 503); if it goes away after the commit, the rows
 * stay pending and the sweeper enqueues them when it is back.
 */
export async function publish(deps: PublishDeps, request: PublishRequest): Promise<Published> {
  const channels = resolveChannels(deps.channels, request.channels);
  // A new incident's id is chosen here: a social text is checked with the very link it will be posted with.
  const newIncidentId = request.draft?.id ?? newId();
  if (request.socialText !== undefined)
    checkSocialText(deps, channels, request.socialText, request.incidentId ?? newIncidentId);
  const redisAnswers = redisCheck(deps);
  const now = (deps.now ?? nowIso)();

  const { draft, ...update } = request;
  const componentEvents = leavesOutComponentEvents(deps, channels);
  const published = await storePublishedUpdate(
    deps.store,
    {
      ...update,
      newIncidentId,
      channels,
      now,
      ...(draft ? { fromDraft: { by: draft.by } } : {}),
      ...(componentEvents ? { componentEvents } : {}),
    },
    redisAnswers,
  );

  await enqueuePublished(deps, published);
  await enqueueComponentEvents(deps, published.componentEvents ?? []);
  await showStateLeftOut(deps, channels, published.incident.id);
  return published;
}

/**
 * An update not sent to the channels that send component events (webhooks) carries no component event there: the
 * status changes it makes are then component events of their own, so their subscribers hear of every change once.
 */
function leavesOutComponentEvents(deps: Pick<PublishDeps, 'channels'>, targeted: string[]): boolean {
  const senders = deps.channels.filter(sendsComponentEvents).map((c) => c.name);
  return senders.length > 0 && !targeted.some((name) => senders.includes(name));
}

/** One job per component event, its id from the event; a job not added now is added by the outbox sweeper. */
export async function enqueueComponentEvents(
  deps: Pick<PublishDeps, 'queues' | 'logger'>,
  eventIds: readonly string[],
): Promise<void> {
  for (const eventId of eventIds) {
    await deps.queues
      .enqueueComponentEvent(eventId)
      .catch((error: unknown) =>
        deps.logger.warn(
          { event: eventId, err: (error as Error).message },
          'component event stored but not enqueued; the sweeper will enqueue it',
        ),
      );
  }
}

/**
 * The status page shows every incident's current state, whatever an update's `channels` say: `channels` picks
 * where the update is sent, and a page left on the old status is what customers must never find. A channel that
 * shows state and is not among the update's channels gets a refresh job on its queue, and no delivery row: its
 * workers rebuild the page as they would for a delivery, not the API process. Rebuilding in the API and waiting
 * for it held every such update's answer for a rebuild of the site (bench/load: admin p99 over 500 ms).
 * If Redis went away since the commit the job is lost, and the page waits for the next change (logged).
 */
async function showStateLeftOut(deps: PublishDeps, targeted: string[], incidentId: string): Promise<void> {
  const leftOut = deps.channels.filter((c) => c.refresh && !targeted.includes(c.name)).map((c) => c.name);
  if (leftOut.length === 0) return;
  try {
    await deps.queues.enqueueRefresh(leftOut, { reason: 'incident', full: false, incidentIds: [incidentId] });
  } catch (error) {
    deps.logger.warn(
      { incidentId, channels: leftOut, err: (error as Error).message },
      'could not ask for a refresh of the channels this update left out; they show it after the next change',
    );
  }
}

/** A Redis answer this recent stands for a PING before a publish's commit (see DeliveryQueues.assertAvailable). */
const REDIS_ANSWER_FRESH_MS = 1_000;

/**
 * Starts the check that Redis answers now, and returns the wait for its answer: called last inside the
 * transaction, so a Redis that is away rolls everything back (503, nothing stored) while the PING's round
 * trip overlaps the transaction's own work instead of adding to it.
 */
function redisCheck(deps: PublishDeps): () => Promise<void> {
  const answered = deps.queues.assertAvailable({ answeredWithinMs: REDIS_ANSWER_FRESH_MS }).then(
    () => undefined,
    (error: unknown) => error,
  );
  return async () => {
    const error = await answered;
    if (error) throw error;
  };
}

/** A postmortem is a timeline entry of its own; `notify` sends it to every channel, otherwise only the status page. */
export async function publishPostmortem(
  deps: PublishDeps,
  incidentId: string,
  input: PostmortemInput,
): Promise<Published> {
  const channels = input.notify
    ? deps.channels.map((c) => c.name)
    : deps.channels.filter((c) => c.kind === 'statuspage').map((c) => c.name);
  const redisAnswers = redisCheck(deps);
  const now = (deps.now ?? nowIso)();
  const published = await storePostmortem(deps.store, { incidentId, body: input.body, channels, now }, redisAnswers);
  return enqueuePublished(deps, published);
}

async function enqueuePublished(deps: PublishDeps, published: Published): Promise<Published> {
  const notEnqueued = await deps.queues.enqueueAll(published.deliveries);
  if (notEnqueued.length > 0) {
    deps.logger.warn(
      { updateId: published.update.id, deliveries: notEnqueued },
      'update stored but not all jobs were enqueued; the sweeper will enqueue them',
    );
  }
  return published;
}

/** A social text must fit every targeted channel that posts it, as it is: refused (400), never cut. */
function checkSocialText(deps: PublishDeps, targeted: string[], text: string, incidentId: string): void {
  const link = incidentUrl(deps.publicUrl, incidentId);
  const problems = deps.channels
    .filter((channel) => targeted.includes(channel.name))
    .flatMap((channel) => {
      const problem = channel.checkSocialText?.(text, link);
      return problem ? [`${channel.name}: ${problem}`] : [];
    });
  if (problems.length > 0) throw InputError.field('socialText', problems.join('; '));
}

function resolveChannels(enabled: PublishDeps['channels'], requested: string[] | undefined): string[] {
  const names = enabled.map((c) => c.name);
  if (!requested) return names;
  const unknown = requested.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw InputError.field(
      'channels',
      `unknown or disabled channel ${unknown.map((n) => `'${n}'`).join(', ')}; enabled channels: ${names.join(', ') || '(none)'}`,
    );
  }
  return [...new Set(requested)];
}

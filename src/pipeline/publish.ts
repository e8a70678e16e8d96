import { type Transaction, sql } from 'kysely';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import { InputError, NotFoundError } from '../domain/errors.js';
import { newId, nowIso } from '../domain/ids.js';
import { assertCanPublishPostmortem, planUpdate, worstStatus } from '../domain/rules.js';
import type { CreateIncidentInput, CreateUpdateInput, PostmortemInput } from '../domain/schemas.js';
import type { Delivery, Incident, IncidentUpdate } from '../domain/types.js';
import type { Logger } from '../runtime/logger.js';
import { setComponentStatuses, unknownComponentIds } from '../store/components-repo.js';
import type { Executor } from '../store/executor.js';
import { toDelivery } from '../store/deliveries-repo.js';
import { componentsUnderMaintenance, getIncident, openIncidentStatuses } from '../store/incidents-repo.js';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { listParam, listParams, listShape, prepared } from '../store/prepared.js';
import type { Store } from '../store/store.js';
import type { Channel } from '../channels/channel.js';
import { incidentUrl } from './context.js';
import type { DeliveryQueues } from './queues.js';

export interface PublishDeps {
  store: Store;
  queues: DeliveryQueues;
  /**
   * Enabled channels in config order: name, kind, for social channels their check of a `socialText`, and for the
   * status page its `refresh` of the current state.
   */
  channels: ReadonlyArray<Pick<Channel, 'name' | 'kind' | 'checkSocialText' | 'refresh'>>;
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
  const newIncidentId = newId();
  if (request.socialText !== undefined)
    checkSocialText(deps, channels, request.socialText, request.incidentId ?? newIncidentId);
  const redisAnswers = redisCheck(deps);
  const now = (deps.now ?? nowIso)();

  const published = await deps.store.db.transaction().execute(async (tx): Promise<Published> => {
    const named = Object.keys(request.components ?? {});
    const unknown = named.length > 0 ? await unknownComponentIds(tx, named) : [];
    if (unknown.length > 0) {
      throw new InputError(unknown.map((id) => ({ field: `components.${id}`, problem: 'no component with this id' })));
    }
    const before = request.incidentId ? await lockIncident(tx, deps.store.dialect, request.incidentId) : null;
    const plan = planUpdate(before, { status: request.status, components: request.components });
    const incidentId = before?.id ?? newIncidentId;

    const namedComponents = Object.keys(request.components ?? {}).length > 0;
    const incidentState = before && {
      id: incidentId,
      status: plan.status,
      impact: request.impact ?? before.impact,
      resolvedAt: plan.resolves ? now : plan.reopens ? null : before.resolvedAt,
      now,
    };
    // With named components the incident is read again below, after its new state: written first. Otherwise the
    // new state goes with the update's own rows (one statement on PostgreSQL).
    if (incidentState && namedComponents) await updateIncidentState(tx, incidentState);
    if (!before) {
      await tx
        .insertInto('incidents')
        .values({
          id: incidentId,
          title: request.title ?? '',
          status: plan.status,
          impact: request.impact ?? 'minor',
          started_at: now,
          resolved_at: plan.resolves ? now : null,
          postmortem_body: null,
          postmortem_published_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }

    for (const { id, status } of plan.affected) {
      const updated = await updateIncidentComponent(tx, { incidentId, componentId: id, status });
      if (Number(updated.numAffectedRows ?? 0) === 0)
        await insertIncidentComponent(tx, { incidentId, componentId: id, status });
    }
    if (plan.affected.length > 0) await applyComponentStatuses(tx, incidentId, plan.affected, now);

    // Without newly named components the incident's view follows from `before` and the plan: no re-read.
    const incident =
      before && !namedComponents
        ? {
            ...before,
            status: plan.status,
            impact: request.impact ?? before.impact,
            resolvedAt: plan.resolves ? now : plan.reopens ? null : before.resolvedAt,
            updatedAt: now,
            components: before.components.map((c) => ({
              ...c,
              status: plan.affected.find((a) => a.id === c.id)?.status ?? c.status,
            })),
          }
        : (await getIncident(tx, incidentId))!;
    const { update, deliveries } = await storeUpdate(
      tx,
      deps.store.dialect,
      incident,
      plan.status,
      { message: request.message, socialText: request.socialText },
      channels,
      now,
      namedComponents ? null : incidentState,
    );
    await redisAnswers();
    return { incident, update, deliveries };
  });

  await enqueuePublished(deps, published);
  await showStateLeftOut(deps, channels, published.incident.id);
  return published;
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
  const published = await deps.store.db.transaction().execute(async (tx): Promise<Published> => {
    const before = await lockIncident(tx, deps.store.dialect, incidentId);
    assertCanPublishPostmortem(before.status);
    await tx
      .updateTable('incidents')
      .set({ status: 'postmortem', postmortem_body: input.body, postmortem_published_at: now, updated_at: now })
      .where('id', '=', incidentId)
      .execute();
    const incident: Incident = {
      ...before,
      status: 'postmortem',
      postmortem: input.body,
      postmortemPublishedAt: now,
      updatedAt: now,
    };
    const { update, deliveries } = await storeUpdate(
      tx,
      deps.store.dialect,
      incident,
      'postmortem',
      { message: input.body },
      channels,
      now,
      null,
    );
    await redisAnswers();
    return { incident, update, deliveries };
  });
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

type IncidentState = {
  id: string;
  status: IncidentStatus;
  impact: IncidentImpact;
  resolvedAt: string | null;
  now: string;
};

/**
 * The update's row, one delivery row per channel and, when given, the incident's new state. On PostgreSQL that
 * is one statement (data-modifying CTEs): one round trip instead of three while the incident's row is locked.
 * On SQLite, where a statement costs no round trip, they stay three plain statements.
 */
async function storeUpdate(
  tx: Transaction<Database>,
  dialect: Dialect,
  incident: Incident,
  status: IncidentStatus,
  text: { message: string; socialText?: string },
  channels: string[],
  now: string,
  incidentState: IncidentState | null,
): Promise<{ update: IncidentUpdate; deliveries: Delivery[] }> {
  const { message, socialText } = text;
  const update: IncidentUpdate = {
    id: newId(),
    incidentId: incident.id,
    status,
    message,
    components: incident.components,
    channels,
    ...(socialText ? { socialText } : {}),
    createdAt: now,
  };
  const row = {
    id: update.id,
    incidentId: incident.id,
    status,
    message,
    socialText: socialText ?? null,
    componentsJson: JSON.stringify(incident.components),
    channelsJson: JSON.stringify(channels),
    now,
  };
  const deliveryIds = channels.map(() => newId());
  let number: number;
  if (dialect === 'postgres') {
    const state: Record<string, string | null> = incidentState
      ? {
          stateStatus: incidentState.status,
          stateImpact: incidentState.impact,
          stateResolvedAt: incidentState.resolvedAt,
        }
      : {};
    const { rows } = await storeUpdateStatement<{ number: number }>(tx, {
      ...row,
      ...state,
      ...listParams('delivery', deliveryIds),
      ...listParams('channel', channels),
    });
    number = Number(rows[0]!.number);
  } else {
    if (incidentState) await updateIncidentState(tx, incidentState);
    number = Number((await insertUpdateRow<{ number: number }>(tx, row)).rows[0]!.number);
    if (channels.length > 0) {
      await insertDeliveryRows(tx, {
        updateId: update.id,
        incidentId: incident.id,
        updateNumber: number,
        now,
        ...listParams('id', deliveryIds),
        ...listParams('channel', channels),
      });
    }
  }
  const deliveries = channels.map((channel, i) =>
    toDelivery({
      ...NEW_DELIVERY_ROW,
      id: deliveryIds[i]!,
      update_id: update.id,
      incident_id: incident.id,
      channel,
      created_at: now,
      updated_at: now,
    }),
  );
  return { update, deliveries };
}

const updateIncidentComponent = prepared(
  (tx, p: { incidentId: string; componentId: string; status: ComponentStatus }) =>
    tx
      .updateTable('incident_components')
      .set({ status: p.status })
      .where('incident_id', '=', p.incidentId)
      .where('component_id', '=', p.componentId),
);
const insertIncidentComponent = prepared(
  (tx, p: { incidentId: string; componentId: string; status: ComponentStatus }) =>
    tx
      .insertInto('incident_components')
      .values({ incident_id: p.incidentId, component_id: p.componentId, status: p.status }),
);

const incidentStateUpdate = (tx: Executor, p: IncidentState) =>
  tx
    .updateTable('incidents')
    .set({ status: p.status, impact: p.impact, resolved_at: p.resolvedAt, updated_at: p.now })
    .where('id', '=', p.id);

const updateIncidentState = prepared(incidentStateUpdate);

type UpdateRowParams = {
  id: string;
  incidentId: string;
  status: IncidentStatus;
  message: string;
  socialText: string | null;
  componentsJson: string;
  channelsJson: string;
  now: string;
};

const updateRowInsert = (tx: Executor, p: UpdateRowParams) =>
  tx
    .insertInto('incident_updates')
    .values({
      id: p.id,
      incident_id: p.incidentId,
      number: sql<number>`(select coalesce(max(number), 0) + 1 from incident_updates where incident_id = ${p.incidentId})`,
      status: p.status,
      message: p.message,
      social_text: p.socialText,
      components_json: p.componentsJson,
      channels_json: p.channelsJson,
      created_at: p.now,
    })
    .returning('number');

const insertUpdateRow = prepared(updateRowInsert);

/**
 * PostgreSQL: the update's row, its delivery rows (numbered from the update's RETURNING) and, when `stateStatus`
 * is given, the incident's new state, in one statement. A template per number of channels and with or without
 * the incident's state.
 */
const storeUpdateStatement = prepared(
  (tx, p: Record<string, string | null>) => {
    const ids = listParam(p, 'delivery');
    const channels = listParam(p, 'channel');
    const update = updateRowInsert(tx, p as unknown as UpdateRowParams);
    let query = tx.with('upd', () => update);
    if ('stateStatus' in p) {
      const state = {
        id: p.incidentId!,
        status: p.stateStatus as IncidentStatus,
        impact: p.stateImpact as IncidentImpact,
        resolvedAt: p.stateResolvedAt!,
        now: p.now!,
      };
      const stateUpdate = incidentStateUpdate(tx, state);
      query = query.with('state', () => stateUpdate) as unknown as typeof query;
    }
    if (ids.length > 0) {
      const rows = sql.join(ids.map((id, i) => sql`(${id}, ${channels[i]})`));
      query = query.with('dels', (db) =>
        db
          .insertInto('deliveries')
          .columns([
            'id',
            'channel',
            'update_id',
            'incident_id',
            'update_number',
            'created_at',
            'updated_at',
            ...NEW_DELIVERY_COLUMNS,
          ])
          .expression((eb) =>
            eb
              .selectFrom(['upd', sql<{ id: string; channel: string }>`(values ${rows})`.as<'v'>(sql`v(id, channel)`)])
              .select((eb) => [
                'v.id',
                'v.channel',
                eb.val(p.id!).as('update_id'),
                eb.val(p.incidentId!).as('incident_id'),
                'upd.number',
                eb.val(p.now!).as('created_at'),
                eb.val(p.now!).as('updated_at'),
                ...NEW_DELIVERY_COLUMNS.map((column) => eb.val(NEW_DELIVERY[column]).as(column)),
              ]),
          ),
      ) as unknown as typeof query;
    }
    return query.selectFrom('upd').select('number');
  },
  (p) => `${listParam(p, 'delivery').length}${'stateStatus' in p ? '+state' : ''}`,
);

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

async function lockIncident(tx: Transaction<Database>, dialect: string, id: string): Promise<Incident> {
  // PostgreSQL: serialise concurrent updates of one incident (update numbers, threading order).
  // SQLite: Kysely runs one transaction at a time on its single connection.
  const incident = await getIncident(tx, id, { forUpdate: dialect === 'postgres' });
  if (!incident) throw new NotFoundError('incident', id);
  return incident;
}

/** Each touched component shows the worst of: this incident, other open incidents, an active maintenance. */
async function applyComponentStatuses(
  tx: Transaction<Database>,
  incidentId: string,
  affected: ReadonlyArray<{ id: string; status: ComponentStatus }>,
  now: string,
) {
  const ids = affected.map((a) => a.id);
  const others = await openIncidentStatuses(tx, ids, incidentId);
  const maintained = await componentsUnderMaintenance(tx, ids);
  const next = affected.map(({ id, status }) => ({
    id,
    status: worstStatus([
      status,
      ...others.filter((o) => o.component_id === id).map((o) => o.status as ComponentStatus),
      ...(maintained.has(id) ? (['under_maintenance'] as const) : []),
    ]),
  }));
  await setComponentStatuses(tx, next, now);
}

/** A delivery row's starting state, the same in the insert and in the rows publish returns. */
const NEW_DELIVERY = { state: 'pending', generation: 0, attempts: 0, total: 1, delivered: 0, failed: 0 } as const;
const NEW_DELIVERY_COLUMNS = Object.keys(NEW_DELIVERY) as Array<keyof typeof NEW_DELIVERY>;
const NEW_DELIVERY_ROW = {
  ...NEW_DELIVERY,
  external_id: null,
  external_url: null,
  external_meta_json: null,
  error: null,
  rate_limited_until: null,
  delivered_at: null,
};

/** One multi-row insert (one round trip on PostgreSQL); a template per number of channels. */
const insertDeliveryRows = prepared((tx, p: Record<string, string | number>) => {
  const channels = listParam(p, 'channel');
  return tx.insertInto('deliveries').values(
    listParam(p, 'id').map((id, i) => ({
      ...NEW_DELIVERY,
      id,
      update_id: p.updateId as string,
      incident_id: p.incidentId as string,
      update_number: p.updateNumber as number,
      channel: channels[i]!,
      created_at: p.now as string,
      updated_at: p.now as string,
    })),
  );
}, listShape('id'));

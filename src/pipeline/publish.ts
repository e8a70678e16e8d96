import type { Transaction } from 'kysely';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import { InputError, NotFoundError } from '../domain/errors.js';
import { newId, nowIso } from '../domain/ids.js';
import { assertCanPublishPostmortem, planUpdate, worstStatus } from '../domain/rules.js';
import type { CreateIncidentInput, CreateUpdateInput, PostmortemInput } from '../domain/schemas.js';
import type { Delivery, Incident, IncidentUpdate } from '../domain/types.js';
import type { Logger } from '../runtime/logger.js';
import { setComponentStatuses, unknownComponentIds } from '../store/components-repo.js';
import { listDeliveriesForUpdate } from '../store/deliveries-repo.js';
import { componentsUnderMaintenance, getIncident, getUpdate, openIncidentStatuses } from '../store/incidents-repo.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { DeliveryQueues } from './queues.js';

export interface PublishDeps {
  store: Store;
  queues: DeliveryQueues;
  /** Enabled channels by name, in config order, with their kind. */
  channels: ReadonlyArray<{ name: string; kind: string }>;
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
}

export const openIncident = (deps: PublishDeps, input: CreateIncidentInput) => publish(deps, input);

export const postUpdate = (deps: PublishDeps, incidentId: string, input: CreateUpdateInput) => publish(deps, { ...input, incidentId });

/**
 * The one path every update takes: one transaction stores the update, the incident's and components'
 * new state and one delivery row per target channel (the outbox); then one job per row is enqueued.
 * If Redis is unreachable before the transaction, nothing is stored (QueueUnavailableError → 503); if it
 * goes away after the commit, the rows stay pending and the sweeper enqueues them when it is back.
 */
export async function publish(deps: PublishDeps, request: PublishRequest): Promise<Published> {
  const channels = resolveChannels(deps.channels, request.channels);
  await deps.queues.assertAvailable();
  const now = (deps.now ?? nowIso)();

  const { incidentId, updateId } = await deps.store.db.transaction().execute(async (tx) => {
    const unknown = await unknownComponentIds(tx, Object.keys(request.components ?? {}));
    if (unknown.length > 0) {
      throw new InputError(unknown.map((id) => ({ field: `components.${id}`, problem: 'no component with this id' })));
    }
    const before = request.incidentId ? await lockIncident(tx, deps.store.dialect, request.incidentId) : null;
    const plan = planUpdate(before, { status: request.status, components: request.components });
    const incidentId = before?.id ?? newId();

    if (before) {
      await tx
        .updateTable('incidents')
        .set({
          status: plan.status,
          impact: request.impact ?? before.impact,
          resolved_at: plan.resolves ? now : plan.reopens ? null : before.resolvedAt,
          updated_at: now,
        })
        .where('id', '=', incidentId)
        .execute();
    } else {
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
      const updated = await tx
        .updateTable('incident_components')
        .set({ status })
        .where('incident_id', '=', incidentId)
        .where('component_id', '=', id)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        await tx.insertInto('incident_components').values({ incident_id: incidentId, component_id: id, status }).execute();
      }
    }
    await applyComponentStatuses(tx, incidentId, plan.affected, now);

    const incident = (await getIncident(tx, incidentId))!;
    const updateId = newId();
    const previous = await tx
      .selectFrom('incident_updates')
      .select((eb) => eb.fn.max('number').as('n'))
      .where('incident_id', '=', incidentId)
      .executeTakeFirst();
    await tx
      .insertInto('incident_updates')
      .values({
        id: updateId,
        incident_id: incidentId,
        number: Number(previous?.n ?? 0) + 1,
        status: plan.status,
        message: request.message,
        components_json: JSON.stringify(incident.components),
        channels_json: JSON.stringify(channels),
        created_at: now,
      })
      .execute();
    await insertDeliveries(tx, incidentId, updateId, channels, now);
    return { incidentId, updateId };
  });

  return finishPublish(deps, incidentId, updateId);
}

/** A postmortem is a timeline entry of its own; `notify` sends it to every channel, otherwise only the status page. */
export async function publishPostmortem(deps: PublishDeps, incidentId: string, input: PostmortemInput): Promise<Published> {
  const channels = input.notify ? deps.channels.map((c) => c.name) : deps.channels.filter((c) => c.kind === 'statuspage').map((c) => c.name);
  await deps.queues.assertAvailable();
  const now = (deps.now ?? nowIso)();
  const updateId = await deps.store.db.transaction().execute(async (tx) => {
    const before = await lockIncident(tx, deps.store.dialect, incidentId);
    assertCanPublishPostmortem(before.status);
    await tx
      .updateTable('incidents')
      .set({ status: 'postmortem', postmortem_body: input.body, postmortem_published_at: now, updated_at: now })
      .where('id', '=', incidentId)
      .execute();
    const previous = await tx.selectFrom('incident_updates').select((eb) => eb.fn.max('number').as('n')).where('incident_id', '=', incidentId).executeTakeFirst();
    const updateId = newId();
    await tx
      .insertInto('incident_updates')
      .values({
        id: updateId,
        incident_id: incidentId,
        number: Number(previous?.n ?? 0) + 1,
        status: 'postmortem',
        message: input.body,
        components_json: JSON.stringify(before.components),
        channels_json: JSON.stringify(channels),
        created_at: now,
      })
      .execute();
    await insertDeliveries(tx, incidentId, updateId, channels, now);
    return updateId;
  });
  return finishPublish(deps, incidentId, updateId);
}

async function finishPublish(deps: PublishDeps, incidentId: string, updateId: string): Promise<Published> {
  const { db } = deps.store;
  const deliveries = await listDeliveriesForUpdate(db, updateId);
  const notEnqueued = await deps.queues.enqueueAll(deliveries);
  if (notEnqueued.length > 0) {
    deps.logger.warn({ updateId, deliveries: notEnqueued }, 'update stored but not all jobs were enqueued; the sweeper will enqueue them');
  }
  const [incident, update] = await Promise.all([getIncident(db, incidentId), getUpdate(db, updateId)]);
  return { incident: incident!, update: stripNumber(update!), deliveries };
}

function stripNumber(update: IncidentUpdate & { number: number }): IncidentUpdate {
  const { number: _number, ...rest } = update;
  return rest;
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
  if (dialect === 'postgres') await tx.selectFrom('incidents').select('id').where('id', '=', id).forUpdate().execute();
  const incident = await getIncident(tx, id);
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

async function insertDeliveries(tx: Transaction<Database>, incidentId: string, updateId: string, channels: string[], now: string) {
  if (channels.length === 0) return;
  await tx
    .insertInto('deliveries')
    .values(
      channels.map((channel) => ({
        id: newId(),
        update_id: updateId,
        incident_id: incidentId,
        channel,
        state: 'pending',
        generation: 0,
        attempts: 0,
        external_id: null,
        external_url: null,
        external_meta_json: null,
        error: null,
        rate_limited_until: null,
        total: 1,
        delivered: 0,
        failed: 0,
        created_at: now,
        updated_at: now,
        delivered_at: null,
      })),
    )
    .execute();
}

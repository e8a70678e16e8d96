import type { Kysely, Transaction } from 'kysely';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import { assertCanPublishPostmortem, planUpdate, worstStatus } from '../domain/rules.js';
import type { Delivery, Incident, IncidentUpdate } from '../domain/types.js';
import { recordComponentEvents, setComponentStatuses, unknownComponentIds } from './components-repo.js';
import type { Dialect } from './db.js';
import { claimDraftForPublish } from './drafts-repo.js';
import { componentsUnderMaintenance, getIncident, openIncidentStatuses } from './incidents-repo.js';
import { prepared } from './prepared.js';
import { storeUpdate, updateIncidentState } from './update-rows.js';
import type { Database } from './schema.js';

// The publish transaction: an update, the incident's and components' new state and one delivery row per channel
// (the outbox), stored together or not at all.

interface StoreHandle {
  db: Kysely<Database>;
  dialect: Dialect;
}

export interface Publication {
  incident: Incident;
  update: IncidentUpdate;
  deliveries: Delivery[];
  /** Component events stored for the status changes (see UpdateToStore's componentEvents). */
  componentEvents?: string[];
}

export interface UpdateToStore {
  /** The incident to update; none: a new incident under `newIncidentId`. */
  incidentId?: string;
  newIncidentId: string;
  title?: string;
  impact?: IncidentImpact;
  message: string;
  status?: IncidentStatus;
  components?: Record<string, ComponentStatus>;
  socialText?: string;
  /** The channels the update goes to: one delivery row each. */
  channels: string[];
  now: string;
  /** Publishes this draft (its id is `newIncidentId`): refused (409) when it is no longer a draft. */
  fromDraft?: { by: 'commander' | 'holding' };
  /**
   * The update does not go to the channels that send component events: each status change it makes is stored as a
   * component event of its own (their ids come back in `componentEvents`).
   */
  componentEvents?: boolean;
}

/**
 * Stores an update in one transaction: the update's row, a new incident or the incident's new state, the
 * components' statuses and one delivery row per channel. `beforeCommit` runs last inside the transaction: if it
 * throws (the queue is away), nothing is stored. An unknown component is bad input; an unknown incident, not found.
 */
export async function storePublishedUpdate(
  store: StoreHandle,
  input: UpdateToStore,
  beforeCommit: () => Promise<void>,
): Promise<Publication> {
  const { channels, now } = input;
  return store.db.transaction().execute(async (tx): Promise<Publication> => {
    if (input.fromDraft && !(await claimDraftForPublish(tx, input.newIncidentId, input.fromDraft.by, now))) {
      throw new StateConflictError(
        `draft '${input.newIncidentId}' is no longer a draft: it was published or dismissed already`,
      );
    }
    const named = Object.keys(input.components ?? {});
    const unknown = named.length > 0 ? await unknownComponentIds(tx, named) : [];
    if (unknown.length > 0) {
      throw new InputError(unknown.map((id) => ({ field: `components.${id}`, problem: 'no component with this id' })));
    }
    const before = input.incidentId ? await lockIncident(tx, store.dialect, input.incidentId) : null;
    const plan = planUpdate(before, { status: input.status, components: input.components });
    const incidentId = before?.id ?? input.newIncidentId;

    const namedComponents = Object.keys(input.components ?? {}).length > 0;
    const incidentState = before && {
      id: incidentId,
      status: plan.status,
      impact: input.impact ?? before.impact,
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
          title: input.title ?? '',
          status: plan.status,
          impact: input.impact ?? 'minor',
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
    const changes =
      plan.affected.length > 0
        ? await applyComponentStatuses(tx, incidentId, plan.affected, now, input.componentEvents === true)
        : [];
    if (input.componentEvents) await recordComponentEvents(tx, changes, now);

    // Without newly named components the incident's view follows from `before` and the plan: no re-read.
    const incident =
      before && !namedComponents
        ? {
            ...before,
            status: plan.status,
            impact: input.impact ?? before.impact,
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
      store.dialect,
      incident,
      plan.status,
      { message: input.message, socialText: input.socialText },
      channels,
      now,
      namedComponents ? null : incidentState,
    );
    await beforeCommit();
    return { incident, update, deliveries, componentEvents: changes.map((c) => c.id) };
  });
}

/** Stores a postmortem as a timeline entry of its own (status `postmortem`), with its delivery rows, in one transaction. */
export async function storePostmortem(
  store: StoreHandle,
  input: { incidentId: string; body: string; channels: string[]; now: string },
  beforeCommit: () => Promise<void>,
): Promise<Publication> {
  const { channels, now } = input;
  return store.db.transaction().execute(async (tx): Promise<Publication> => {
    const before = await lockIncident(tx, store.dialect, input.incidentId);
    assertCanPublishPostmortem(before.status);
    await tx
      .updateTable('incidents')
      .set({ status: 'postmortem', postmortem_body: input.body, postmortem_published_at: now, updated_at: now })
      .where('id', '=', input.incidentId)
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
      store.dialect,
      incident,
      'postmortem',
      { message: input.body },
      channels,
      now,
      null,
    );
    await beforeCommit();
    return { incident, update, deliveries };
  });
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
  track: boolean,
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
  return setComponentStatuses(tx, next, now, { track });
}

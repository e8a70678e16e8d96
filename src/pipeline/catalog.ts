import type { Channel } from '../channels/channel.js';
import { NotFoundError, StateConflictError } from '../domain/errors.js';
import { nowIso } from '../domain/ids.js';
import type { CreateComponentInput, CreateMaintenanceInput, PatchComponentInput } from '../domain/schemas.js';
import type { Component, Delivery, Maintenance } from '../domain/types.js';
import type { Logger } from '../runtime/logger.js';
import {
  createComponent,
  deleteComponent,
  getComponent,
  moveComponent,
  patchComponentAtomically,
  sameNameInGroup,
} from '../store/components-repo.js';
import { listDeliveriesForUpdate, resetForRetry } from '../store/deliveries-repo.js';
import { getUpdate } from '../store/incidents-repo.js';
import type { Store } from '../store/store.js';
import { createMaintenance } from './maintenance.js';
import type { DeliveryQueues } from './queues.js';
import { enqueueComponentEvents } from './publish.js';
import { refreshSoon } from './state-refresh.js';

// Changes a commander makes outside an incident update, shared by the admin API and the console so both
// follow the same rules and both keep the status page current.

export interface CatalogDeps {
  store: Store;
  queues: DeliveryQueues;
  channels: ReadonlyArray<Channel>;
  logger: Logger;
}

const refreshState = (deps: CatalogDeps, reason: 'components', full: boolean) =>
  refreshSoon(deps.channels, { reason, full }, deps.logger);

/** Two components of one name in one group read as one: 409 naming the one that exists. */
async function refuseSameName(deps: CatalogDeps, name: string, group: string | null, exceptId?: string) {
  const existing = await sameNameInGroup(deps.store.db, name, group, exceptId);
  if (existing) {
    throw new StateConflictError(
      `a component named '${existing.name}' already exists ${group === null ? 'without a group' : `in group '${group}'`} (id ${existing.id}); edit that one or choose another name`,
      { existingId: existing.id },
    );
  }
}

export async function addComponent(deps: CatalogDeps, input: CreateComponentInput): Promise<Component> {
  await refuseSameName(deps, input.name, input.group ?? null);
  const component = await createComponent(deps.store.db, input, nowIso());
  await refreshState(deps, 'components', false);
  return component;
}

export async function changeComponent(deps: CatalogDeps, id: string, patch: PatchComponentInput): Promise<Component> {
  const before = await getComponent(deps.store.db, id);
  if (!before) throw new NotFoundError('component', id);
  if (patch.name !== undefined || patch.group !== undefined)
    await refuseSameName(deps, patch.name ?? before.name, patch.group === undefined ? before.group : patch.group, id);
  // The change and, for a new status, its event (the outbox of the component-events job) in one transaction.
  const changed = await patchComponentAtomically(deps.store.db, id, patch, nowIso());
  if (!changed) throw new NotFoundError('component', id);
  const { component, statusChange } = changed;
  // One job per change, its id from the change: subscribers of component events hear of it once.
  if (statusChange) await enqueueComponentEvents(deps, [statusChange.id]);
  // A new name or group shows on every incident page that lists the component.
  await refreshState(deps, 'components', patch.name !== undefined || patch.group !== undefined);
  return component;
}

/**
 * Deletes a component: it leaves the page, the JSON and the subscribe form; incidents that affected it keep
 * showing its name. Every page may list it, so the whole site is rebuilt.
 */
export async function removeComponent(deps: CatalogDeps, id: string): Promise<void> {
  if (!(await deleteComponent(deps.store.db, id, nowIso()))) throw new NotFoundError('component', id);
  await refreshState(deps, 'components', true);
}

/** One place up or down within its group; 409 when it is already at that end. */
export async function reorderComponent(deps: CatalogDeps, id: string, direction: 'up' | 'down'): Promise<void> {
  if (!(await getComponent(deps.store.db, id))) throw new NotFoundError('component', id);
  if (!(await moveComponent(deps.store.db, id, direction, nowIso())))
    throw new StateConflictError(`the component is already ${direction === 'up' ? 'first' : 'last'} in its group`);
  await refreshState(deps, 'components', false);
}

export async function scheduleMaintenance(deps: CatalogDeps, input: CreateMaintenanceInput): Promise<Maintenance> {
  return createMaintenance(deps, input);
}

const RETRYABLE_STATES: readonly Delivery['state'][] = ['failed', 'partial', 'skipped'];

/** A manual retry of one channel of an update: only failed, partial or skipped deliveries (else 409). */
export async function retryDelivery(deps: CatalogDeps, updateId: string, channel: string): Promise<Delivery> {
  const { db } = deps.store;
  const current = (await listDeliveriesForUpdate(db, updateId)).find((d) => d.channel === channel);
  if (!current) {
    if (!(await getUpdate(db, updateId))) throw new NotFoundError('update', updateId);
    throw new NotFoundError(`delivery on channel '${channel}' for update`, updateId);
  }
  if (!RETRYABLE_STATES.includes(current.state)) {
    throw new StateConflictError(
      `delivery on '${channel}' is ${current.state}; only failed, partial or skipped deliveries can be retried`,
    );
  }
  await deps.queues.assertAvailable();
  const reset = await resetForRetry(db, updateId, channel, nowIso());
  if (!reset) throw new StateConflictError(`delivery on '${channel}' changed meanwhile; look again`);
  await deps.queues.enqueue(reset);
  return reset;
}

import type { Kysely, Selectable } from 'kysely';
import type { ComponentStatus } from '../domain/enums.js';
import { newId } from '../domain/ids.js';
import type { CreateComponentInput, PatchComponentInput } from '../domain/schemas.js';
import type { Component } from '../domain/types.js';
import { prepared } from './prepared.js';
import type { Executor } from './executor.js';
import type { ComponentsTable, Database } from './schema.js';

export const toComponent = (row: Omit<Selectable<ComponentsTable>, 'deleted_at'>): Component => ({
  id: row.id,
  name: row.name,
  group: row.group_name,
  description: row.description,
  position: Number(row.position),
  status: row.status as ComponentStatus,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function createComponent(db: Executor, input: CreateComponentInput, now: string): Promise<Component> {
  const position =
    input.position ??
    Number(
      (
        await db
          .selectFrom('components')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const row = {
    id: newId(),
    name: input.name,
    group_name: input.group ?? null,
    description: input.description ?? null,
    position,
    status: input.status ?? 'operational',
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('components').values(row).execute();
  await recordStatusChange(db, { componentId: row.id, status: row.status, at: now });
  return toComponent(row);
}

/** The components that are not deleted, in page order. */
export async function listComponents(db: Executor): Promise<Component[]> {
  const rows = await db
    .selectFrom('components')
    .selectAll()
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('name')
    .execute();
  return rows.map(toComponent);
}

export async function getComponent(db: Executor, id: string): Promise<Component | undefined> {
  const row = await db
    .selectFrom('components')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? toComponent(row) : undefined;
}

/**
 * The component (not deleted) already named `name` in `group` (names compared without case or surrounding
 * space), other than `exceptId`: two rows of one name in one group read as one on the page.
 */
export async function sameNameInGroup(
  db: Executor,
  name: string,
  group: string | null,
  exceptId?: string,
): Promise<Component | undefined> {
  let query = db.selectFrom('components').selectAll().where('deleted_at', 'is', null);
  query = group === null ? query.where('group_name', 'is', null) : query.where('group_name', '=', group);
  const key = name.trim().toLowerCase();
  const rows = await query.execute();
  const row = rows.find((r) => r.id !== exceptId && r.name.trim().toLowerCase() === key);
  return row ? toComponent(row) : undefined;
}

/**
 * Marks a component deleted; false when there is none (or it was deleted already). Incident templates drop it
 * (their other fields stay): a template never opens an incident on a component that is gone.
 */
export async function deleteComponent(db: Kysely<Database>, id: string, now: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const result = await tx
      .updateTable('components')
      .set({ deleted_at: now, updated_at: now })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await tx.deleteFrom('incident_template_components').where('component_id', '=', id).execute();
    return true;
  });
}

/**
 * Moves a component one place up or down among the components of its group, renumbering the group's positions
 * so they stay distinct. Returns false when it is already first (up) or last (down).
 */
export async function moveComponent(db: Executor, id: string, direction: 'up' | 'down', now: string): Promise<boolean> {
  const all = await listComponents(db);
  const component = all.find((c) => c.id === id);
  if (!component) return false;
  const group = all.filter((c) => c.group === component.group);
  const index = group.findIndex((c) => c.id === id);
  const target = direction === 'up' ? index - 1 : index + 1;
  if (target < 0 || target >= group.length) return false;
  const positions = group.map((c) => c.position).sort((a, b) => a - b);
  // Positions shared by several components (all 0, say) are spread first, so a swap changes the order.
  for (let i = 1; i < positions.length; i++)
    if (positions[i]! <= positions[i - 1]!) positions[i] = positions[i - 1]! + 1;
  const order = [...group];
  [order[index], order[target]] = [order[target]!, order[index]!];
  for (let i = 0; i < order.length; i++) {
    if (order[i]!.position === positions[i]) continue;
    await db
      .updateTable('components')
      .set({ position: positions[i]!, updated_at: now })
      .where('id', '=', order[i]!.id)
      .execute();
  }
  return true;
}

/** A status change made outside an incident update: its component_status_changes id, from what, to what. */
export interface StatusChange {
  id: string;
  from: ComponentStatus;
  to: ComponentStatus;
}

/**
 * Changes a component's fields. A new status is kept in its history and, as a change made outside any update, as
 * a component event (the outbox the engine's component-events job sends from): run it in a transaction, so the
 * change and its event are stored together. `statusChange` is absent when the status stayed as it was.
 */
/** patchComponent in a transaction of its own: the change and its event are stored together or not at all. */
export function patchComponentAtomically(
  db: Kysely<Database>,
  id: string,
  patch: PatchComponentInput,
  now: string,
): ReturnType<typeof patchComponent> {
  return db.transaction().execute((tx) => patchComponent(tx, id, patch, now));
}

export async function patchComponent(
  db: Executor,
  id: string,
  patch: PatchComponentInput,
  now: string,
): Promise<{ component: Component; statusChange?: StatusChange } | undefined> {
  const values: Partial<ComponentsTable> = { updated_at: now };
  if (patch.name !== undefined) values.name = patch.name;
  if (patch.group !== undefined) values.group_name = patch.group;
  if (patch.description !== undefined) values.description = patch.description;
  if (patch.status !== undefined) values.status = patch.status;
  if (patch.position !== undefined) values.position = patch.position;
  const before = patch.status === undefined ? undefined : await getComponent(db, id);
  await db.updateTable('components').set(values).where('id', '=', id).execute();
  let statusChange: StatusChange | undefined;
  if (before && patch.status !== undefined && before.status !== patch.status) {
    statusChange = {
      id: await recordStatusChange(db, { componentId: id, status: patch.status, at: now }),
      from: before.status,
      to: patch.status,
    };
  }
  const component = await getComponent(db, id);
  if (statusChange && component)
    await insertComponentEvents(db, [{ ...statusChange, componentId: id, name: component.name }], now);
  return component ? { component, ...(statusChange ? { statusChange } : {}) } : undefined;
}

/** The ids among `ids` that name no component. */
export async function unknownComponentIds(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('components')
    .select('id')
    .where('id', 'in', [...ids])
    .where('deleted_at', 'is', null)
    .execute();
  const known = new Set(found.map((r) => r.id));
  return ids.filter((id) => !known.has(id));
}

/** A status change an update or a maintenance step made: its history row, the component, from what, to what. */
export interface ComponentChangeRow {
  id: string;
  componentId: string;
  from: ComponentStatus;
  to: ComponentStatus;
}

/**
 * Sets the components' statuses, keeping each change in their history. With `track`, the statuses before are read
 * first and the changes returned (for component events: see recordComponentEvents); without, nothing more is read.
 */
export async function setComponentStatuses(
  db: Executor,
  statuses: ReadonlyArray<{ id: string; status: ComponentStatus }>,
  now: string,
  options: { track?: boolean } = {},
): Promise<ComponentChangeRow[]> {
  const before = new Map<string, ComponentStatus>();
  if (options.track && statuses.length > 0) {
    const rows = await db
      .selectFrom('components')
      .select(['id', 'status'])
      .where(
        'id',
        'in',
        statuses.map((s) => s.id),
      )
      .execute();
    for (const row of rows) before.set(row.id, row.status as ComponentStatus);
  }
  const changes: ComponentChangeRow[] = [];
  for (const { id, status } of statuses) {
    const result = await setComponentStatus(db, { id, status, now });
    if (Number(result.numAffectedRows ?? 0) === 0) continue;
    const changeId = await recordStatusChange(db, { componentId: id, status, at: now });
    const from = before.get(id);
    if (from !== undefined) changes.push({ id: changeId, componentId: id, from, to: status });
  }
  return changes;
}

/**
 * Stores status changes as component events of their own (the outbox of the component-events job): for changes
 * whose update or maintenance step does not go to the channels that send component events.
 */
export async function recordComponentEvents(db: Executor, changes: readonly ComponentChangeRow[], now: string) {
  if (changes.length === 0) return;
  const names = await db
    .selectFrom('components')
    .select(['id', 'name'])
    .where(
      'id',
      'in',
      changes.map((c) => c.componentId),
    )
    .execute();
  const nameOf = new Map(names.map((r) => [r.id, r.name]));
  await insertComponentEvents(
    db,
    changes.map((c) => ({ ...c, name: nameOf.get(c.componentId) ?? null })),
    now,
  );
}

/**
 * Component events as the changes happened: each keeps its component's name and every component's status right
 * after the changes (read in the caller's transaction), so an event sent later still describes its change.
 */
async function insertComponentEvents(
  db: Executor,
  changes: ReadonlyArray<{
    id: string;
    componentId: string;
    from: ComponentStatus;
    to: ComponentStatus;
    name: string | null;
  }>,
  now: string,
) {
  const statuses = await db
    .selectFrom('components')
    .select('status')
    .distinct()
    .where('deleted_at', 'is', null)
    .orderBy('status')
    .execute();
  const pageStatuses = JSON.stringify(statuses.map((r) => r.status));
  await db
    .insertInto('component_events')
    .values(
      changes.map((c) => ({
        id: c.id,
        component_id: c.componentId,
        old_status: c.from,
        new_status: c.to,
        at: now,
        component_name: c.name,
        page_statuses: pageStatuses,
      })),
    )
    .execute();
}

/** Kept beside every change of a component's status (same transaction): the history the daily bars are drawn from. */
async function recordStatusChange(db: Executor, change: { componentId: string; status: string; at: string }) {
  const id = newId();
  await insertStatusChange(db, { id, ...change });
  return id;
}
const insertStatusChange = prepared((db, p: { id: string; componentId: string; status: string; at: string }) =>
  db
    .insertInto('component_status_changes')
    .values({ id: p.id, component_id: p.componentId, status: p.status, at: p.at }),
);

const setComponentStatus = prepared((db, p: { id: string; status: ComponentStatus; now: string }) =>
  db
    .updateTable('components')
    .set({ status: p.status, updated_at: p.now })
    .where('id', '=', p.id)
    .where('status', '!=', p.status),
);

import type { Selectable } from 'kysely';
import type { ComponentStatus } from '../domain/enums.js';
import { newId } from '../domain/ids.js';
import type { CreateComponentInput, PatchComponentInput } from '../domain/schemas.js';
import type { Component } from '../domain/types.js';
import { prepared } from './prepared.js';
import type { Executor } from './executor.js';
import type { ComponentsTable } from './schema.js';

export const toComponent = (row: Selectable<ComponentsTable>): Component => ({
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

export async function listComponents(db: Executor): Promise<Component[]> {
  const rows = await db.selectFrom('components').selectAll().orderBy('position').orderBy('name').execute();
  return rows.map(toComponent);
}

export async function getComponent(db: Executor, id: string): Promise<Component | undefined> {
  const row = await db.selectFrom('components').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toComponent(row) : undefined;
}

export async function patchComponent(
  db: Executor,
  id: string,
  patch: PatchComponentInput,
  now: string,
): Promise<Component | undefined> {
  const values: Partial<ComponentsTable> = { updated_at: now };
  if (patch.name !== undefined) values.name = patch.name;
  if (patch.group !== undefined) values.group_name = patch.group;
  if (patch.description !== undefined) values.description = patch.description;
  if (patch.status !== undefined) values.status = patch.status;
  if (patch.position !== undefined) values.position = patch.position;
  const before = patch.status === undefined ? undefined : await getComponent(db, id);
  await db.updateTable('components').set(values).where('id', '=', id).execute();
  if (before && patch.status !== undefined && before.status !== patch.status)
    await recordStatusChange(db, { componentId: id, status: patch.status, at: now });
  return getComponent(db, id);
}

/** The ids among `ids` that name no component. */
export async function unknownComponentIds(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('components')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  const known = new Set(found.map((r) => r.id));
  return ids.filter((id) => !known.has(id));
}

export async function setComponentStatuses(
  db: Executor,
  statuses: ReadonlyArray<{ id: string; status: ComponentStatus }>,
  now: string,
) {
  for (const { id, status } of statuses) {
    const result = await setComponentStatus(db, { id, status, now });
    if (Number(result.numAffectedRows ?? 0) > 0) await recordStatusChange(db, { componentId: id, status, at: now });
  }
}

/** Kept beside every change of a component's status (same transaction): the history the daily bars are drawn from. */
function recordStatusChange(db: Executor, change: { componentId: string; status: string; at: string }) {
  return insertStatusChange(db, { id: newId(), ...change });
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

import type { Kysely } from 'kysely';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import { InputError, StateConflictError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { CreateIncidentTemplateInput, PatchIncidentTemplateInput } from '../domain/schemas.js';
import type { IncidentTemplate } from '../domain/types.js';
import { unknownComponentIds } from './components-repo.js';
import type { Executor } from './executor.js';
import type { Database, IncidentTemplatesTable } from './schema.js';

// Incident templates (migration 012). A name is unique whatever its case and surrounding space: a second one is
// refused with 409 and the id of the first. Writes run in one transaction, so bad input stores nothing.

const nameKey = (name: string) => name.trim().toLowerCase();

async function componentsOf(db: Executor, templateIds: string[]) {
  if (templateIds.length === 0) return new Map<string, IncidentTemplate['components']>();
  // Deleted components are skipped: a template drops a component that no longer exists.
  const rows = await db
    .selectFrom('incident_template_components as t')
    .innerJoin('components as c', 'c.id', 't.component_id')
    .select(['t.template_id', 't.component_id', 'c.name', 't.status'])
    .where('t.template_id', 'in', templateIds)
    .where('c.deleted_at', 'is', null)
    .orderBy('c.position')
    .orderBy('c.name')
    .execute();
  const byTemplate = new Map<string, IncidentTemplate['components']>();
  for (const r of rows) {
    const list = byTemplate.get(r.template_id) ?? [];
    list.push({ id: r.component_id, name: r.name, status: r.status as ComponentStatus });
    byTemplate.set(r.template_id, list);
  }
  return byTemplate;
}

const toTemplate = (row: IncidentTemplatesTable, components: IncidentTemplate['components']): IncidentTemplate => ({
  id: row.id,
  name: row.name,
  title: row.title,
  message: row.message,
  impact: row.impact as IncidentImpact | null,
  status: row.status as IncidentStatus | null,
  components,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Every template, by name. */
export async function listIncidentTemplates(db: Executor): Promise<IncidentTemplate[]> {
  const rows = await db.selectFrom('incident_templates').selectAll().orderBy('name_key').execute();
  const components = await componentsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toTemplate(r, components.get(r.id) ?? []));
}

export async function getIncidentTemplate(db: Executor, id: string): Promise<IncidentTemplate | undefined> {
  const row = await db.selectFrom('incident_templates').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return toTemplate(row, (await componentsOf(db, [row.id])).get(row.id) ?? []);
}

/** The template with this id, or else with this name (any case, surrounding space ignored). */
export async function findIncidentTemplate(db: Executor, idOrName: string): Promise<IncidentTemplate | undefined> {
  const byId = await getIncidentTemplate(db, idOrName);
  if (byId) return byId;
  const row = await db
    .selectFrom('incident_templates')
    .select('id')
    .where('name_key', '=', nameKey(idOrName))
    .executeTakeFirst();
  return row ? getIncidentTemplate(db, row.id) : undefined;
}

async function refuseSameName(db: Executor, name: string, exceptId?: string) {
  let query = db.selectFrom('incident_templates').select(['id', 'name']).where('name_key', '=', nameKey(name));
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  const existing = await query.executeTakeFirst();
  if (existing)
    throw new StateConflictError(
      `an incident template named '${existing.name}' already exists (id ${existing.id}); edit that one or choose another name`,
      { existingId: existing.id },
    );
}

async function refuseUnknownComponents(db: Executor, components: Record<string, string>) {
  const unknown = await unknownComponentIds(db, Object.keys(components));
  if (unknown.length > 0)
    throw new InputError(unknown.map((id) => ({ field: `components.${id}`, problem: `no component with id '${id}'` })));
}

async function setComponents(db: Executor, templateId: string, components: Record<string, string>) {
  await db.deleteFrom('incident_template_components').where('template_id', '=', templateId).execute();
  const rows = Object.entries(components).map(([componentId, status]) => ({
    template_id: templateId,
    component_id: componentId,
    status,
  }));
  if (rows.length > 0) await db.insertInto('incident_template_components').values(rows).execute();
}

/** A unique-index violation: another writer stored the same name between the check and the insert. */
const isUniqueViolation = (error: unknown) =>
  (error as { code?: string }).code === '23505' || /UNIQUE constraint failed/.test(String((error as Error).message));

async function clashAsConflict<T>(
  db: Kysely<Database>,
  name: string,
  exceptId: string | undefined,
  run: () => Promise<T>,
) {
  try {
    return await run();
  } catch (error) {
    if (isUniqueViolation(error)) await refuseSameName(db, name, exceptId);
    throw error;
  }
}

export async function createIncidentTemplate(
  db: Kysely<Database>,
  input: CreateIncidentTemplateInput,
  now: string,
): Promise<IncidentTemplate> {
  const id = newId();
  await clashAsConflict(db, input.name, undefined, () =>
    db.transaction().execute(async (tx) => {
      await refuseSameName(tx, input.name);
      await refuseUnknownComponents(tx, input.components ?? {});
      await tx
        .insertInto('incident_templates')
        .values({
          id,
          name: input.name,
          name_key: nameKey(input.name),
          title: input.title,
          message: input.message,
          impact: input.impact ?? null,
          status: input.status ?? null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await setComponents(tx, id, input.components ?? {});
    }),
  );
  return (await getIncidentTemplate(db, id))!;
}

/** Changes the fields given; undefined when there is no such template. */
export async function patchIncidentTemplate(
  db: Kysely<Database>,
  id: string,
  patch: PatchIncidentTemplateInput,
  now: string,
): Promise<IncidentTemplate | undefined> {
  const found = await clashAsConflict(db, patch.name ?? '', id, () =>
    db.transaction().execute(async (tx) => {
      const exists = await tx.selectFrom('incident_templates').select('id').where('id', '=', id).executeTakeFirst();
      if (!exists) return false;
      if (patch.name !== undefined) await refuseSameName(tx, patch.name, id);
      if (patch.components !== undefined) await refuseUnknownComponents(tx, patch.components);
      const values: Partial<IncidentTemplatesTable> = { updated_at: now };
      if (patch.name !== undefined) {
        values.name = patch.name;
        values.name_key = nameKey(patch.name);
      }
      if (patch.title !== undefined) values.title = patch.title;
      if (patch.message !== undefined) values.message = patch.message;
      if (patch.impact !== undefined) values.impact = patch.impact;
      if (patch.status !== undefined) values.status = patch.status;
      await tx.updateTable('incident_templates').set(values).where('id', '=', id).execute();
      if (patch.components !== undefined) await setComponents(tx, id, patch.components);
      return true;
    }),
  );
  return found ? getIncidentTemplate(db, id) : undefined;
}

/** false when there is no such template. */
export async function deleteIncidentTemplate(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await tx.deleteFrom('incident_template_components').where('template_id', '=', id).execute();
    const result = await tx.deleteFrom('incident_templates').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

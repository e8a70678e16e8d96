import { InputError, NotFoundError } from '../domain/errors.js';
import { nowIso } from '../domain/ids.js';
import {
  type CreateIncidentInput,
  type CreateIncidentTemplateInput,
  type OpenFromTemplateInput,
  type PatchIncidentTemplateInput,
  type PublishDraftFromTemplateInput,
  type PublishDraftInput,
  createIncidentSchema,
  describeIssues,
  openFromTemplateSchema,
  publishDraftFromTemplateSchema,
  publishDraftSchema,
} from '../domain/schemas.js';
import type { IncidentTemplate } from '../domain/types.js';
import {
  createIncidentTemplate,
  deleteIncidentTemplate,
  findIncidentTemplate,
  getIncidentTemplate,
  patchIncidentTemplate,
} from '../store/incident-templates-repo.js';
import type { Store } from '../store/store.js';

// Incident templates, shared by the admin API, the console and (through the API) the CLI.

export async function addIncidentTemplate(
  store: Pick<Store, 'db'>,
  input: CreateIncidentTemplateInput,
): Promise<IncidentTemplate> {
  return createIncidentTemplate(store.db, input, nowIso());
}

export async function changeIncidentTemplate(
  store: Pick<Store, 'db'>,
  id: string,
  patch: PatchIncidentTemplateInput,
): Promise<IncidentTemplate> {
  const template = await patchIncidentTemplate(store.db, id, patch, nowIso());
  if (!template) throw new NotFoundError('incident template', id);
  return template;
}

export async function removeIncidentTemplate(store: Pick<Store, 'db'>, id: string): Promise<void> {
  if (!(await deleteIncidentTemplate(store.db, id))) throw new NotFoundError('incident template', id);
}

export async function showIncidentTemplate(store: Pick<Store, 'db'>, id: string): Promise<IncidentTemplate> {
  const template = await getIncidentTemplate(store.db, id);
  if (!template) throw new NotFoundError('incident template', id);
  return template;
}

/** The template named by id or name; a bad request (400) naming it when there is none. */
export async function templateFor(store: Pick<Store, 'db'>, idOrName: string): Promise<IncidentTemplate> {
  const template = await findIncidentTemplate(store.db, idOrName.trim());
  if (!template)
    throw InputError.field(
      'template',
      `no incident template with id or name '${idOrName}' (herald template list shows them)`,
    );
  return template;
}

/** What a template gives an incident opened from it, under what the request gives explicitly. */
export function applyTemplate<R extends Omit<OpenFromTemplateInput, 'template'>>(
  template: IncidentTemplate,
  request: R,
): R & { title: string; message: string } {
  const components =
    request.components ??
    (template.components.length > 0 ? Object.fromEntries(template.components.map((c) => [c.id, c.status])) : undefined);
  const impact = request.impact ?? template.impact ?? undefined;
  const status = request.status ?? template.status ?? undefined;
  return {
    ...request,
    title: request.title ?? template.title,
    message: request.message ?? template.message,
    ...(impact ? { impact } : {}),
    ...(status ? { status } : {}),
    ...(components ? { components } : {}),
  };
}

const isObject = (body: unknown): body is object =>
  body !== undefined && body !== null && typeof body === 'object' && !Array.isArray(body);

/**
 * POST /api/v1/incidents: the body as it is, or, with `template` (id or name), the template's fields under the
 * body's. Every field is checked first, then the template is looked up: a bad request changes nothing.
 */
export async function incidentRequest(store: Pick<Store, 'db'>, body: unknown): Promise<CreateIncidentInput> {
  if (!isObject(body)) throw InputError.field('(body)', 'must be a JSON object');
  const hasTemplate = Object.hasOwn(body, 'template');
  const schema = hasTemplate ? openFromTemplateSchema : createIncidentSchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new InputError(describeIssues(parsed.error).details);
  if (!hasTemplate) return parsed.data as CreateIncidentInput;
  const { template: name, ...request } = parsed.data as OpenFromTemplateInput;
  return applyTemplate(await templateFor(store, name), request);
}

/**
 * POST /api/v1/incidents/:id/publish: the body as it is, or with `template` the template's fields under the body's
 * (and the draft's own under both: a template without impact or status leaves the draft's).
 */
export async function draftPublishRequest(store: Pick<Store, 'db'>, body: unknown): Promise<PublishDraftInput> {
  const given = body ?? {};
  if (!isObject(given)) throw InputError.field('(body)', 'must be a JSON object');
  const hasTemplate = Object.hasOwn(given, 'template');
  const parsed = (hasTemplate ? publishDraftFromTemplateSchema : publishDraftSchema).safeParse(given);
  if (!parsed.success) throw new InputError(describeIssues(parsed.error).details);
  if (!hasTemplate) return parsed.data as PublishDraftInput;
  const { template: name, ...request } = parsed.data as PublishDraftFromTemplateInput;
  return applyTemplate(await templateFor(store, name), request);
}

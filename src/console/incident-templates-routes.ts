import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { COMPONENT_STATUSES, INCIDENT_IMPACTS, INCIDENT_STATUSES } from '../domain/enums.js';
import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import { createIncidentTemplateSchema, describeIssues, patchIncidentTemplateSchema } from '../domain/schemas.js';
import type { IncidentTemplate } from '../domain/types.js';
import { addIncidentTemplate, changeIncidentTemplate, removeIncidentTemplate } from '../pipeline/incident-templates.js';
import { listComponents } from '../store/components-repo.js';
import { getIncidentTemplate, listIncidentTemplates } from '../store/incident-templates-repo.js';
import { type FieldIssue, type FormBody, first } from './compose-form.js';
import { type ConsoleContext, CONSOLE_PREFIX } from './console-context.js';

type IdParams = { Params: { id: string } };

/** What the template form holds, as typed (kept to fill the form again after an error). */
interface TemplateValues {
  name: string;
  title: string;
  message: string;
  impact: string;
  status: string;
  components: Record<string, string>;
}

const BLANK: TemplateValues = { name: '', title: '', message: '', impact: '', status: '', components: {} };

function readTemplateForm(body: FormBody): TemplateValues {
  const components: Record<string, string> = {};
  for (const [key, value] of Object.entries(body))
    if (key.startsWith('component.') && first(value)) components[key.slice('component.'.length)] = first(value);
  return {
    name: first(body.name),
    title: first(body.title),
    message: first(body.message),
    impact: first(body.impact),
    status: first(body.status),
    components,
  };
}

/** Form → the API's input: '' impact or status is "none" (null: the incident's own). */
const toInput = (v: TemplateValues) => ({
  name: v.name,
  title: v.title,
  message: v.message,
  impact: v.impact || null,
  status: v.status || null,
  components: v.components,
});

const valuesOf = (t: IncidentTemplate): TemplateValues => ({
  name: t.name,
  title: t.title,
  message: t.message,
  impact: t.impact ?? '',
  status: t.status ?? '',
  components: Object.fromEntries(t.components.map((c) => [c.id, c.status])),
});

/** Incident templates: list, add, edit, delete; compose opens one with `?template=ID`. */
export function incidentTemplatesRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { store } = ctx.herald;
  const { db } = store;

  async function formData(values: TemplateValues, issues: FieldIssue[]) {
    const components = await listComponents(db);
    return {
      values,
      impacts: INCIDENT_IMPACTS.map((i) => ({ value: i, selected: i === values.impact })),
      statuses: INCIDENT_STATUSES.filter((s) => s !== 'postmortem').map((s) => ({
        value: s,
        selected: s === values.status,
      })),
      components: components.map((c) => ({
        ...c,
        options: COMPONENT_STATUSES.map((s) => ({ value: s, selected: values.components[c.id] === s })),
      })),
      issues,
      issueFor: Object.fromEntries(issues.map((i) => [i.field.split('.')[0], i.problem])),
    };
  }

  async function listPage(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { notice?: string; error?: string; issues?: FieldIssue[]; draft?: TemplateValues } = {},
    status = 200,
  ) {
    const templates = await listIncidentTemplates(db);
    return ctx.page(
      request,
      reply,
      'incident-templates',
      {
        title: 'Incident templates',
        nav: 'incident-templates',
        templates,
        notice: extra.notice,
        error: extra.error,
        form: await formData(extra.draft ?? BLANK, extra.issues ?? []),
      },
      status,
    );
  }

  async function editPage(
    request: FastifyRequest,
    reply: FastifyReply,
    template: IncidentTemplate,
    values: TemplateValues,
    extra: { error?: string; issues?: FieldIssue[] } = {},
    status = 200,
  ) {
    return ctx.page(
      request,
      reply,
      'incident-template',
      {
        title: `Template: ${template.name}`,
        nav: 'incident-templates',
        template,
        error: extra.error,
        form: await formData(values, extra.issues ?? []),
      },
      status,
    );
  }

  const load = async (id: string) => {
    const template = await getIncidentTemplate(db, id);
    if (!template) throw new NotFoundError('incident template', id);
    return template;
  };

  app.get('/incident-templates', async (request, reply) => listPage(request, reply));

  app.post<{ Body: FormBody }>('/incident-templates', async (request, reply) => {
    const values = readTemplateForm(request.body ?? {});
    const parsed = createIncidentTemplateSchema.safeParse(toInput(values));
    if (!parsed.success)
      return listPage(request, reply, { issues: describeIssues(parsed.error).details, draft: values }, 400);
    try {
      const created = await addIncidentTemplate(store, parsed.data);
      return listPage(request, reply, { notice: `Template '${created.name}' saved.` }, 201);
    } catch (error) {
      if (error instanceof StateConflictError)
        return listPage(request, reply, { error: error.message, draft: values }, 409);
      if (error instanceof InputError) return listPage(request, reply, { issues: error.details, draft: values }, 400);
      throw error;
    }
  });

  app.get<IdParams>('/incident-templates/:id', async (request, reply) => {
    const template = await load(request.params.id);
    return editPage(request, reply, template, valuesOf(template));
  });

  app.post<IdParams & { Body: FormBody }>('/incident-templates/:id', async (request, reply) => {
    const template = await load(request.params.id);
    const values = readTemplateForm(request.body ?? {});
    const parsed = patchIncidentTemplateSchema.safeParse(toInput(values));
    if (!parsed.success)
      return editPage(request, reply, template, values, { issues: describeIssues(parsed.error).details }, 400);
    try {
      await changeIncidentTemplate(store, template.id, parsed.data);
    } catch (error) {
      if (error instanceof StateConflictError)
        return editPage(request, reply, template, values, { error: error.message }, 409);
      if (error instanceof InputError)
        return editPage(request, reply, template, values, { issues: error.details }, 400);
      throw error;
    }
    return reply.redirect(`${CONSOLE_PREFIX}/incident-templates`, 303);
  });

  app.post<IdParams>('/incident-templates/:id/delete', async (request, reply) => {
    const template = await load(request.params.id);
    await removeIncidentTemplate(store, template.id);
    return listPage(request, reply, { notice: `Template '${template.name}' deleted.` });
  });
}

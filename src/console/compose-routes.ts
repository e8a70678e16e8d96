import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { COMPONENT_STATUSES, INCIDENT_IMPACTS, INCIDENT_STATUSES } from '../domain/enums.js';
import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import type { Incident, IncidentTemplate } from '../domain/types.js';
import { openIncident, postUpdate } from '../pipeline/publish.js';
import { QueueUnavailableError } from '../pipeline/queues.js';
import { listComponents } from '../store/components-repo.js';
import { findIncidentTemplate, listIncidentTemplates } from '../store/incident-templates-repo.js';
import { getIncident, nextUpdateNumber } from '../store/incidents-repo.js';
import {
  type ComposeValues,
  type FieldIssue,
  type FormBody,
  first,
  overPublishLimits,
  parseIncidentUpdate,
  parseOpenIncident,
  readComposeValues,
} from './compose-form.js';
import { type ConsoleContext, CONSOLE_PREFIX } from './console-context.js';
import { storeFrame } from './frames.js';
import { type ComposePreview, previewCompose, refusedPreview } from './preview.js';
import { randomToken } from './sessions.js';
import { once } from './submission.js';

type IdParams = { Params: { id: string } };
const UPDATE_STATUSES = INCIDENT_STATUSES.filter((s) => s !== 'postmortem');

/** Compose an incident or an update, preview every channel, publish. */
export function composeRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { herald } = ctx;
  const { db } = herald.store;

  const loadIncident = async (id: string) => {
    const incident = await getIncident(db, id);
    if (!incident) throw new NotFoundError('incident', id);
    return incident;
  };

  const composePage = composePageFor(ctx);
  const preview = previewFor(ctx);

  const allChannels = () => herald.channels.map((c) => c.name);

  // `?template=ID` (the picker on the page, or a template's "Use" link) fills the form from a saved template;
  // everything stays editable, and what is published is what the form then holds.
  app.get<{ Querystring: { template?: string } }>('/incidents/new', async (request, reply) => {
    const values: ComposeValues = {
      title: '',
      message: '',
      status: 'investigating',
      impact: 'minor',
      components: {},
      channels: allChannels(),
      socialText: '',
    };
    const wanted = first(request.query.template).trim();
    if (!wanted) return composePage(request, reply, values, undefined);
    const template = await findIncidentTemplate(db, wanted);
    if (!template)
      return composePage(request, reply, values, undefined, {
        error: `There is no incident template '${wanted}' (any more?); pick one from the list.`,
        status: 404,
      });
    return composePage(
      request,
      reply,
      {
        ...values,
        title: template.title,
        message: template.message,
        status: template.status ?? values.status,
        impact: template.impact ?? values.impact,
        components: Object.fromEntries(template.components.map((c) => [c.id, c.status])),
      },
      undefined,
      { template },
    );
  });

  app.get<IdParams & { Querystring: { status?: string } }>('/incidents/:id/update', async (request, reply) => {
    const incident = await loadIncident(request.params.id);
    const wanted = first(request.query.status);
    const status = (UPDATE_STATUSES as readonly string[]).includes(wanted)
      ? wanted
      : incident.status === 'postmortem'
        ? 'resolved'
        : incident.status;
    const components = Object.fromEntries(
      incident.components.map((c) => [c.id, status === 'resolved' ? 'operational' : c.status]),
    );
    return composePage(
      request,
      reply,
      {
        title: incident.title,
        message: '',
        status,
        impact: incident.impact,
        components,
        channels: allChannels(),
        socialText: '',
      },
      incident,
    );
  });

  app.post<{ Body: FormBody }>('/incidents', async (request, reply) => {
    const body = request.body ?? {};
    const parsed = parseOpenIncident(body);
    if (first(body.action) !== 'publish') return composePage(request, reply, parsed.values, undefined, { status: 200 });
    if (!parsed.input) return composePage(request, reply, parsed.values, undefined, { issues: parsed.issues });
    const input = parsed.input;
    return publishing(request, reply, parsed.values, undefined, first(body.submission), input, async () => {
      const { update } = await openIncident(herald.publishDeps, input);
      herald.metrics.published.inc();
      return `${CONSOLE_PREFIX}/updates/${update.id}`;
    });
  });

  app.post<IdParams & { Body: FormBody }>('/incidents/:id/updates', async (request, reply) => {
    const incident = await loadIncident(request.params.id);
    const body = request.body ?? {};
    const parsed = parseIncidentUpdate(body);
    parsed.values.title = incident.title;
    if (first(body.action) !== 'publish') return composePage(request, reply, parsed.values, incident, { status: 200 });
    if (!parsed.input) return composePage(request, reply, parsed.values, incident, { issues: parsed.issues });
    const input = parsed.input;
    return publishing(request, reply, parsed.values, incident, first(body.submission), input, async () => {
      const { update } = await postUpdate(herald.publishDeps, incident.id, input);
      herald.metrics.published.inc();
      return `${CONSOLE_PREFIX}/updates/${update.id}`;
    });
  });

  async function publishing(
    request: FastifyRequest,
    reply: FastifyReply,
    values: ComposeValues,
    incident: Incident | undefined,
    submission: string,
    input: unknown,
    run: () => Promise<string>,
  ) {
    try {
      const result = await once(herald.store, submission, { incident: incident?.id ?? null, input }, run);
      if ('conflict' in result)
        return composePage(request, reply, values, incident, { error: result.conflict, status: 409 });
      return reply.redirect(result.location, 303);
    } catch (error) {
      if (error instanceof InputError) return composePage(request, reply, values, incident, { issues: error.details });
      if (error instanceof StateConflictError)
        return composePage(request, reply, values, incident, { error: error.message, status: 409 });
      if (error instanceof QueueUnavailableError) {
        return composePage(request, reply, values, incident, {
          error: `${error.message}; nothing was published, try again`,
          status: 503,
        });
      }
      throw error;
    }
  }

  // The live preview: console.js posts the form here (debounced) and swaps in the answer.
  app.post<{ Body: FormBody }>('/preview', { config: { viewerMayPost: true } }, async (request, reply) => {
    const body = request.body ?? {};
    const incidentId = first(body.incident);
    const incident = incidentId ? await loadIncident(incidentId) : undefined;
    const values = readComposeValues(body);
    if (incident) values.title = incident.title;
    const shown = await preview(request, values, incident);
    const html = ctx.views.fragment('preview', { preview: shown });
    return reply
      .status(shown.refused ? 400 : 200)
      .type('text/html; charset=utf-8')
      .send(html);
  });
}

/** Extra parts of the compose page: the draft page is the compose page with a draft's values and its own action. */
export interface ComposeExtra {
  issues?: FieldIssue[];
  error?: string;
  status?: number;
  heading?: string;
  formAction?: string;
  /** The template the form was filled from (picked in the template picker). */
  template?: IncidentTemplate;
  data?: Record<string, unknown>;
}

/** The compose page (form, every channel's preview), for the routes that fill it. */
export function composePageFor(ctx: ConsoleContext) {
  const { herald } = ctx;
  const { db } = herald.store;
  const preview = previewFor(ctx);

  return async function composePage(
    request: FastifyRequest,
    reply: FastifyReply,
    values: ComposeValues,
    incident: Incident | undefined,
    extra: ComposeExtra = {},
  ) {
    const components = await listComponents(db);
    const issues = extra.issues ?? [];
    // The picker: only to open an incident (not for an update or a draft, which have their own content).
    const templates = !incident && !extra.formAction ? await listIncidentTemplates(db) : [];
    return ctx.page(
      request,
      reply,
      'compose',
      {
        title: extra.heading ?? (incident ? `Update: ${incident.title}` : 'Open an incident'),
        // An update belongs to the incident's place in the navigation, not to "Open incident".
        nav: incident ? 'incidents' : 'compose',
        incident,
        values,
        formAction:
          extra.formAction ??
          (incident ? `${CONSOLE_PREFIX}/incidents/${incident.id}/updates` : `${CONSOLE_PREFIX}/incidents`),
        ...extra.data,
        submission: randomToken(),
        statuses: UPDATE_STATUSES.map((s) => ({ value: s, selected: s === values.status })),
        impacts: INCIDENT_IMPACTS.map((i) => ({ value: i, selected: i === values.impact })),
        components: components.map((c) => ({
          ...c,
          options: COMPONENT_STATUSES.map((s) => ({ value: s, selected: values.components[c.id] === s })),
          affected: Boolean(values.components[c.id]),
        })),
        channels: herald.channels.map((c) => ({
          name: c.name,
          kind: c.kind,
          checked: values.channels.includes(c.name),
        })),
        templates: templates.map((t) => ({ id: t.id, name: t.name, selected: t.id === extra.template?.id })),
        template: extra.template,
        issues,
        issueFor: Object.fromEntries(issues.map((i) => [i.field.split('.')[0], i.problem])),
        error: extra.error,
        preview: await preview(request, values, incident),
      },
      extra.status ?? (issues.length || extra.error ? 400 : 200),
    );
  };
}

/** Every channel's preview; none when publishing would refuse the form for its size (nothing is kept then). */
function previewFor(ctx: ConsoleContext) {
  const { herald } = ctx;
  const { db } = herald.store;
  /** Every channel's preview; none when publishing would refuse the form for its size (nothing is kept then). */
  return async (
    request: FastifyRequest,
    values: ComposeValues,
    incident: Incident | undefined,
  ): Promise<ComposePreview> => {
    const number = incident ? await nextUpdateNumber(db, incident.id) : 1;
    const tooBig = overPublishLimits(values, incident !== undefined);
    if (tooBig.length) return refusedPreview(tooBig, number);
    return previewCompose(herald, values, incident, number, (html) =>
      storeFrame(ctx, ctx.sessionOf(request).idHash, html),
    );
  };
}

import type { FastifyInstance } from 'fastify';
import { NotFoundError, StateConflictError } from '../domain/errors.js';
import { nowIso } from '../domain/ids.js';
import { postmortemSchema, describeIssues } from '../domain/schemas.js';
import { publishPostmortem } from '../pipeline/publish.js';
import { QueueUnavailableError } from '../pipeline/queues.js';
import { markdownToSafeHtml } from '../render/markdown.js';
import { deliveryStatesByUpdate } from '../store/delivery-reports.js';
import { getIncidentWithUpdates, listIncidents } from '../store/incidents-repo.js';
import { deletePostmortemDraft, findPostmortemDraft, savePostmortemDraft } from '../store/postmortem-drafts-repo.js';
import { nextUpdateDue } from './cadence.js';
import { type FormBody, first } from './compose-form.js';
import { type ConsoleContext, CONSOLE_PREFIX } from './console-context.js';

type IdParams = { Params: { id: string } };

/** Incident list and timeline, and the postmortem editor (draft, preview, publish). */
export function incidentRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { herald } = ctx;
  const { db } = herald.store;

  const load = async (id: string) => {
    const incident = await getIncidentWithUpdates(db, id);
    if (!incident) throw new NotFoundError('incident', id);
    return incident;
  };

  app.get('/incidents', async (request, reply) => {
    const incidents = await listIncidents(db, { limit: 100 });
    return ctx.page(request, reply, 'incidents', { title: 'Incidents', incidents });
  });

  app.get<IdParams>('/incidents/:id', async (request, reply) => {
    const incident = await load(request.params.id);
    const states = await deliveryStatesByUpdate(db, incident.id);
    const total = incident.updates.length;
    return ctx.page(request, reply, 'incident', {
      title: incident.title,
      incident,
      open: incident.status !== 'resolved' && incident.status !== 'postmortem',
      resolved: incident.status === 'resolved' || incident.status === 'postmortem',
      due: nextUpdateDue(incident, ctx.cadence),
      updates: incident.updates.map((u, i) => ({
        ...u,
        number: total - i,
        html: markdownToSafeHtml(u.message),
        deliveries: states.get(u.id) ?? [],
      })),
      postmortemHtml: incident.postmortem ? markdownToSafeHtml(incident.postmortem) : undefined,
    });
  });

  app.get<IdParams>('/incidents/:id/postmortem', async (request, reply) => {
    const incident = await load(request.params.id);
    const draft = await findPostmortemDraft(db, incident.id);
    const body = draft?.body ?? incident.postmortem ?? '';
    return ctx.page(request, reply, 'postmortem', {
      title: `Postmortem: ${incident.title}`,
      incident,
      body,
      draft,
      previewHtml: body ? markdownToSafeHtml(body) : undefined,
    });
  });

  app.post<IdParams & { Body: FormBody }>('/incidents/:id/postmortem', async (request, reply) => {
    const incident = await load(request.params.id);
    const form = request.body ?? {};
    const body = first(form.body);
    const action = first(form.action);
    const notify = first(form.notify) === 'on';
    const again = (extra: Record<string, unknown>, status: number) =>
      ctx.page(
        request,
        reply,
        'postmortem',
        {
          title: `Postmortem: ${incident.title}`,
          incident,
          body,
          notify,
          previewHtml: body.trim() ? markdownToSafeHtml(body) : undefined,
          ...extra,
        },
        status,
      );

    if (action === 'preview') return again({}, 200);
    if (action === 'save') {
      const user = ctx.sessionOf(request).user.username;
      const now = nowIso();
      await savePostmortemDraft(db, { incident_id: incident.id, body, updated_by: user, updated_at: now });
      return again({ saved: true, draft: { updated_by: user, updated_at: now } }, 200);
    }
    const parsed = postmortemSchema.safeParse({ body, notify });
    if (!parsed.success) return again({ error: describeIssues(parsed.error).message }, 400);
    try {
      const { update } = await publishPostmortem(herald.publishDeps, incident.id, parsed.data);
      await deletePostmortemDraft(db, incident.id);
      return reply.redirect(`${CONSOLE_PREFIX}/updates/${update.id}`, 303);
    } catch (error) {
      if (error instanceof StateConflictError) return again({ error: error.message }, 409);
      if (error instanceof QueueUnavailableError)
        return again({ error: `${error.message}; nothing was published, try again` }, 503);
      throw error;
    }
  });
}

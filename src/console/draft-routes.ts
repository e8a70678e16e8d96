import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dismiss, publishDraft } from '../alerts/drafts.js';
import type { Draft } from '../domain/drafts.js';
import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import { QueueUnavailableError } from '../pipeline/queues.js';
import { getDraft } from '../store/drafts-repo.js';
import { type ComposeValues, type FieldIssue, type FormBody, first, parseDraftPublish } from './compose-form.js';
import { composePageFor } from './compose-routes.js';
import { type ConsoleContext, CONSOLE_PREFIX } from './console-context.js';

type IdParams = { Params: { id: string } };

/** "in 12 min" / "in 40 s" / "now": what the countdown shows before console.js takes over. */
export function countdownLabel(at: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(at) - now) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 120) return `in ${seconds} s`;
  return `in ${Math.round(seconds / 60)} min`;
}

/** A draft as the console shows it: its alerts, and when its holding statement goes out. */
export function draftView(draft: Draft, now = Date.now()) {
  return {
    ...draft,
    countdown: draft.autoPublishAt
      ? { at: draft.autoPublishAt, label: countdownLabel(draft.autoPublishAt, now) }
      : null,
    alerts: draft.alerts.map((a) => ({
      ...a,
      name: a.labels.alertname ?? a.annotations.summary ?? a.key,
      firing: a.status === 'firing',
    })),
  };
}

/** A draft proposed by alerts: reviewed, edited and published (or dismissed) from one page. */
export function draftRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { herald } = ctx;
  const { db } = herald.store;
  const composePage = composePageFor(ctx);

  const load = async (id: string) => {
    const draft = await getDraft(db, id);
    if (!draft) throw new NotFoundError('draft', id);
    return draft;
  };

  const valuesOf = (draft: Draft): ComposeValues => ({
    title: draft.title,
    message: draft.message,
    status: draft.status,
    impact: draft.impact,
    components: Object.fromEntries(draft.components.map((c) => [c.id, c.status])),
    channels: herald.channels.map((c) => c.name),
    socialText: '',
  });

  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    draft: Draft,
    values: ComposeValues,
    extra: { issues?: FieldIssue[]; error?: string; status?: number } = {},
  ) =>
    composePage(request, reply, values, undefined, {
      ...extra,
      heading: `Draft: ${draft.title}`,
      formAction: `${CONSOLE_PREFIX}/drafts/${draft.id}/publish`,
      data: { draft: draftView(draft), nav: 'draft' },
    });

  app.get<IdParams>('/drafts/:id', async (request, reply) => {
    const draft = await load(request.params.id);
    if (draft.state === 'published') return reply.redirect(`${CONSOLE_PREFIX}/incidents/${draft.id}`, 303);
    return page(request, reply, draft, valuesOf(draft), {
      ...(draft.state === 'dismissed'
        ? {
            error: `This draft was dismissed ${draft.closedBy === 'alerts' ? 'by itself: every alert of its group resolved' : 'by a commander'}; it was never published.`,
          }
        : {}),
      status: 200,
    });
  });

  app.post<IdParams & { Body: FormBody }>('/drafts/:id/publish', async (request, reply) => {
    const draft = await load(request.params.id);
    const body = request.body ?? {};
    // "Publish as is" (the dashboard's one click) sends no form: the draft's own values.
    const asIs = first(body.action) === 'publish-as-is';
    const parsed = asIs ? { values: valuesOf(draft), input: {}, issues: [] } : parseDraftPublish(body);
    if (!asIs && first(body.action) !== 'publish') return page(request, reply, draft, parsed.values, { status: 200 });
    if (!parsed.input) return page(request, reply, draft, parsed.values, { issues: parsed.issues });
    try {
      const published = await publishDraft(herald.publishDeps, draft.id, parsed.input);
      herald.metrics.published.inc();
      herald.alerts.metrics.published(published.draft, 'commander');
      return reply.redirect(`${CONSOLE_PREFIX}/updates/${published.update.id}`, 303);
    } catch (error) {
      if (error instanceof InputError) return page(request, reply, draft, parsed.values, { issues: error.details });
      if (error instanceof StateConflictError)
        return page(request, reply, draft, parsed.values, { error: error.message, status: 409 });
      if (error instanceof QueueUnavailableError)
        return page(request, reply, draft, parsed.values, {
          error: `${error.message}; nothing was published, try again`,
          status: 503,
        });
      throw error;
    }
  });

  app.post<IdParams>('/drafts/:id/dismiss', async (request, reply) => {
    const draft = await load(request.params.id);
    try {
      await dismiss(herald.publishDeps, draft.id);
    } catch (error) {
      if (error instanceof StateConflictError)
        return page(request, reply, draft, valuesOf(draft), { error: error.message, status: 409 });
      throw error;
    }
    return reply.redirect(`${CONSOLE_PREFIX}/`, 303);
  });
}

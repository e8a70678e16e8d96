import { markdownToSafeHtml } from '../render/markdown.js';
import type { FastifyInstance } from 'fastify';
import { SETTLED_DELIVERY_STATES } from '../domain/enums.js';
import { NotFoundError, StateConflictError } from '../domain/errors.js';
import { retryDelivery } from '../pipeline/catalog.js';
import { deliveriesView } from '../pipeline/deliveries-view.js';
import { withTargetViews } from '../channels/statuspage/target-view.js';
import { QueueUnavailableError } from '../pipeline/queues.js';
import { listDeliveriesForUpdate, listRecipientDeliveries } from '../store/deliveries-repo.js';
import { getIncident, getUpdate } from '../store/incidents-repo.js';
import { type ConsoleContext, CONSOLE_PREFIX } from './console-context.js';

type IdParams = { Params: { id: string } };
/** Failed recipients the page lists per update (all channels together). */
const FAILED_RECIPIENTS_SHOWN = 50;
const RETRYABLE = ['failed', 'partial', 'skipped'];
const POLL_MS = 500;
const STREAM_MAX_MS = 10 * 60 * 1000;
const HEARTBEAT_MS = 15_000;

/** "Did my update land": the per-channel view, streamed until every channel settles, and retry per channel. */
export function progressRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { db } = ctx.herald.store;
  const streams = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of streams) end();
  });

  /** The same read as the API's recipient list (GET /api/v1/updates/:id/recipients?state=failed): its first page. */
  async function failedRecipients(updateId: string) {
    const rows = await listRecipientDeliveries(db, updateId, { state: 'failed', limit: FAILED_RECIPIENTS_SHOWN });
    return rows.map((r) => ({
      channel: r.channel,
      address: r.address ?? `(deleted subscriber ${r.subscriberId})`,
      error: r.error,
      attempts: r.attempts,
    }));
  }

  async function progressModel(updateId: string, csrf: string | undefined, isCommander: boolean) {
    const view = await withTargetViews(
      db,
      ctx.herald.channels,
      deliveriesView(updateId, await listDeliveriesForUpdate(db, updateId)),
    );
    const channels = view.channels.map((c) => ({
      ...c,
      settled: SETTLED_DELIVERY_STATES.includes(c.state),
      retryable: isCommander && RETRYABLE.includes(c.state),
    }));
    const failed = channels.some((c) => c.failed > 0) ? await failedRecipients(updateId) : [];
    return {
      updateId,
      channels,
      failedRecipients: failed,
      csrf,
      isCommander,
      settled: channels.every((c) => c.settled),
    };
  }

  app.get<IdParams>('/updates/:id', async (request, reply) => {
    const update = await getUpdate(db, request.params.id);
    if (!update) throw new NotFoundError('update', request.params.id);
    const incident = (await getIncident(db, update.incidentId))!;
    const session = ctx.sessionOf(request);
    const progress = await progressModel(update.id, session.csrfToken, session.user.role === 'commander');
    return ctx.page(request, reply, 'progress', {
      title: `Delivery of update ${update.number}: ${incident.title}`,
      nav: incident.maintenanceId ? 'maintenances' : 'incidents',
      backUrl: incident.maintenanceId ? `${CONSOLE_PREFIX}/maintenances` : `${CONSOLE_PREFIX}/incidents/${incident.id}`,
      backLabel: incident.maintenanceId ? 'Maintenance' : 'Incident timeline',
      messageHtml: markdownToSafeHtml(update.message),
      incident,
      update,
      progress,
      streamUrl: `${CONSOLE_PREFIX}/updates/${update.id}/events`,
      refresh: !progress.settled,
    });
  });

  // Server-sent events: a `progress` event with the rows' HTML whenever they change; `settled` at the end.
  app.get<IdParams>('/updates/:id/events', async (request, reply) => {
    const update = await getUpdate(db, request.params.id);
    if (!update) throw new NotFoundError('update', request.params.id);
    const session = ctx.sessionOf(request);
    const isCommander = session.user.role === 'commander';
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    const send = (event: string, data: string) =>
      res.write(
        `event: ${event}\n${data
          .split('\n')
          .map((l) => `data: ${l}`)
          .join('\n')}\n\n`,
      );
    let last = '';
    let ended = false;
    const started = Date.now();
    let lastWrite = Date.now();
    const end = () => {
      if (ended) return;
      ended = true;
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    request.raw.on('close', end);
    res.write('retry: 2000\n\n');
    while (!ended) {
      try {
        const model = await progressModel(update.id, session.csrfToken, isCommander);
        const html = ctx.views.fragment('progress-rows', model);
        if (html !== last) {
          last = html;
          send('progress', html);
          lastWrite = Date.now();
        }
        if (model.settled) {
          send('settled', model.channels.map((c) => `${c.channel}=${c.state}`).join(' '));
          break;
        }
      } catch (error) {
        request.log.warn({ err: error }, 'delivery stream could not read the deliveries');
      }
      if (Date.now() - started > STREAM_MAX_MS) break;
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    end();
  });

  // The same rules as POST /api/v1/updates/:id/deliveries/:channel/retry.
  app.post<{ Params: { id: string; channel: string } }>(
    '/updates/:id/deliveries/:channel/retry',
    async (request, reply) => {
      const { id, channel } = request.params;
      try {
        await retryDelivery(ctx.herald, id, channel);
      } catch (error) {
        if (error instanceof StateConflictError)
          return ctx.page(
            request,
            reply,
            'error',
            { title: 'Cannot retry', message: error.message, back: `${CONSOLE_PREFIX}/updates/${id}` },
            409,
          );
        if (error instanceof QueueUnavailableError) {
          return ctx.page(
            request,
            reply,
            'error',
            {
              title: 'Queue unavailable',
              message: `${error.message}; nothing was changed, try again`,
              back: `${CONSOLE_PREFIX}/updates/${id}`,
            },
            503,
          );
        }
        throw error;
      }
      return reply.redirect(`${CONSOLE_PREFIX}/updates/${id}`, 303);
    },
  );
}

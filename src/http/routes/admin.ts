import type { FastifyInstance } from 'fastify';
import { InputError, NotFoundError } from '../../domain/errors.js';
import {
  createComponentSchema,
  createIncidentTemplateSchema,
  maintenanceUpdateSchema,
  createSubscriberSchema,
  createUpdateSchema,
  patchComponentSchema,
  patchIncidentTemplateSchema,
  postmortemSchema,
} from '../../domain/schemas.js';
import { dismiss, publishDraft } from '../../alerts/drafts.js';
import { getDraft, listDrafts } from '../../store/drafts-repo.js';
import { deliveriesView, recipientsView } from '../../pipeline/deliveries-view.js';
import {
  type CatalogDeps,
  addComponent,
  changeComponent,
  removeComponent,
  retryDelivery,
  scheduleMaintenance,
} from '../../pipeline/catalog.js';
import type { HeraldEnv } from '../../config/env.js';
import { type PublishDeps, openIncident, postUpdate, publishPostmortem } from '../../pipeline/publish.js';
import type { Metrics } from '../../runtime/metrics.js';
import { withTargetViews } from '../../channels/statuspage/target-view.js';
import {
  cancelMaintenance,
  editMaintenance,
  parseMaintenance,
  postMaintenanceUpdate,
} from '../../pipeline/maintenance.js';
import type { MaintenanceStatus } from '../../domain/enums.js';
import {
  addIncidentTemplate,
  changeIncidentTemplate,
  draftPublishRequest,
  incidentRequest,
  removeIncidentTemplate,
  showIncidentTemplate,
} from '../../pipeline/incident-templates.js';
import { listIncidentTemplates } from '../../store/incident-templates-repo.js';
import { getMaintenance, getMaintenances } from '../../store/maintenances-repo.js';
import { listComponents } from '../../store/components-repo.js';
import { RECIPIENT_STATES, isRecipientState, listDeliveriesForUpdate } from '../../store/deliveries-repo.js';
import { getIncidentWithUpdates, getUpdate, listIncidents } from '../../store/incidents-repo.js';
import { deleteSubscriber, listSubscribers } from '../../store/subscribers-repo.js';
import { type SubscriberDeps, adminCreateSubscriber } from '../../subscribers/service.js';
import type { AlertMetrics } from '../../alerts/metrics.js';
import { bearerAuth } from '../auth.js';
import { requireJsonBody } from '../json-only.js';
import { pageLimit, parseInput } from '../errors.js';
import { idempotent } from '../idempotency.js';

type IdParams = { Params: { id: string } };

const MAINTENANCE_STATES: Record<string, MaintenanceStatus[]> = {
  upcoming: ['scheduled'],
  active: ['in_progress', 'verifying'],
  completed: ['completed'],
};

const SECRET_WITHHELD =
  "a webhook subscriber's secret is shown once, in the first answer; this repeated answer leaves it out. Lost it? Delete the subscriber and add it again for a new secret";

/** What the admin API uses of a running Herald. */
export interface AdminDeps extends CatalogDeps {
  env: Pick<HeraldEnv, 'apiToken'>;
  publishDeps: PublishDeps;
  subscriberDeps: SubscriberDeps;
  metrics: Pick<Metrics, 'published'>;
  alerts: { metrics: Pick<AlertMetrics, 'published'> };
}

/** The admin API of the contract, under /api/v1, behind the bearer token. */
export async function adminRoutes(app: FastifyInstance, { herald }: { herald: AdminDeps }) {
  const { store, publishDeps } = herald;
  const { db } = store;
  app.addHook('onRequest', bearerAuth(herald.env.apiToken));
  app.addHook('onRequest', requireJsonBody);

  app.post('/components', (request, reply) =>
    idempotent(store, request, reply, async () => {
      const input = parseInput(createComponentSchema, request.body);
      return { status: 201, body: await addComponent(herald, input) };
    }),
  );
  app.get('/components', async () => listComponents(db));
  app.patch<IdParams>('/components/:id', async (request) => {
    const input = parseInput(patchComponentSchema, request.body);
    return changeComponent(herald, request.params.id, input);
  });
  app.delete<IdParams>('/components/:id', async (request, reply) => {
    await removeComponent(herald, request.params.id);
    return reply.status(204).send();
  });

  app.post('/incident-templates', (request, reply) =>
    idempotent(store, request, reply, async () => {
      const input = parseInput(createIncidentTemplateSchema, request.body);
      return { status: 201, body: await addIncidentTemplate(store, input) };
    }),
  );
  app.get('/incident-templates', async () => listIncidentTemplates(db));
  app.get<IdParams>('/incident-templates/:id', async (request) => showIncidentTemplate(store, request.params.id));
  app.patch<IdParams>('/incident-templates/:id', async (request) => {
    const input = parseInput(patchIncidentTemplateSchema, request.body);
    return changeIncidentTemplate(store, request.params.id, input);
  });
  app.delete<IdParams>('/incident-templates/:id', async (request, reply) => {
    await removeIncidentTemplate(store, request.params.id);
    return reply.status(204).send();
  });

  app.post('/incidents', (request, reply) =>
    idempotent(store, request, reply, async () => {
      // With `template` (id or name), the template fills the fields the body leaves out.
      const input = await incidentRequest(store, request.body);
      const { incident, update } = await openIncident(publishDeps, input);
      herald.metrics.published.inc();
      return { status: 201, body: { incident, update } };
    }),
  );
  app.get<{ Querystring: { state?: string; limit?: string } }>('/incidents', async (request) => {
    const { state, limit } = request.query;
    if (state !== undefined && state !== 'unresolved' && state !== 'all' && state !== 'draft') {
      throw InputError.field('state', `must be 'unresolved', 'draft' or 'all', got '${state}'`);
    }
    if (state === 'draft') return listDrafts(db, 'draft', pageLimit(limit));
    return listIncidents(db, { unresolvedOnly: state === 'unresolved', limit: pageLimit(limit) });
  });
  app.get<IdParams>('/incidents/:id', async (request) => {
    const incident = await getIncidentWithUpdates(db, request.params.id);
    if (incident) return incident;
    // A draft not published (yet, or ever) answers under the same path, marked `draft`.
    const draft = await getDraft(db, request.params.id);
    if (!draft || draft.state === 'published') throw new NotFoundError('incident', request.params.id);
    return draft;
  });
  app.post<IdParams>('/incidents/:id/publish', (request, reply) =>
    idempotent(store, request, reply, async () => {
      // With `template`, the template fills what the body leaves out, before the draft does.
      const input = await draftPublishRequest(store, request.body);
      const { incident, update, draft } = await publishDraft(publishDeps, request.params.id, input);
      herald.metrics.published.inc();
      herald.alerts.metrics.published(draft, 'commander');
      return { status: 201, body: { incident, update } };
    }),
  );
  app.delete<IdParams>('/incidents/:id', async (request, reply) => {
    await dismiss(publishDeps, request.params.id);
    return reply.status(204).send();
  });
  app.post<IdParams>('/incidents/:id/updates', (request, reply) =>
    idempotent(store, request, reply, async () => {
      const input = parseInput(createUpdateSchema, request.body);
      const { incident, update } = await postUpdate(publishDeps, request.params.id, input);
      herald.metrics.published.inc();
      return { status: 201, body: { incident, update } };
    }),
  );
  app.post<IdParams>('/incidents/:id/postmortem', (request, reply) =>
    idempotent(store, request, reply, async () => {
      const input = parseInput(postmortemSchema, request.body);
      const { incident } = await publishPostmortem(publishDeps, request.params.id, input);
      return { status: 201, body: { incident } };
    }),
  );

  app.get<IdParams>('/updates/:id/deliveries', async (request) => {
    if (!(await getUpdate(db, request.params.id))) throw new NotFoundError('update', request.params.id);
    const view = deliveriesView(request.params.id, await listDeliveriesForUpdate(db, request.params.id));
    // The status page's off-site copies: each one current, or behind since when (the reconciler catches it up).
    return withTargetViews(db, herald.channels, view);
  });
  app.get<IdParams & { Querystring: { channel?: string; state?: string; limit?: string; after?: string } }>(
    '/updates/:id/recipients',
    async (request) => {
      const { channel, state, limit, after } = request.query;
      if (!(await getUpdate(db, request.params.id))) throw new NotFoundError('update', request.params.id);
      if (state !== undefined && !isRecipientState(state))
        throw InputError.field('state', `must be one of ${RECIPIENT_STATES.join(', ')}, got '${state}'`);
      return recipientsView(db, request.params.id, { channel, state, limit: pageLimit(limit), after });
    },
  );
  app.post<{ Params: { id: string; channel: string } }>(
    '/updates/:id/deliveries/:channel/retry',
    async (request, reply) => {
      const reset = await retryDelivery(herald, request.params.id, request.params.channel);
      return reply.status(202).send(deliveriesView(request.params.id, [reset]).channels[0]);
    },
  );

  app.post('/maintenances', (request, reply) =>
    idempotent(store, request, reply, async () => {
      const input = parseMaintenance(request.body);
      return { status: 201, body: await scheduleMaintenance(herald, input) };
    }),
  );
  app.get<{ Querystring: { state?: string } }>('/maintenances', async (request) => {
    const { state } = request.query;
    const statuses =
      state !== undefined && Object.hasOwn(MAINTENANCE_STATES, state) ? MAINTENANCE_STATES[state] : undefined;
    if (state !== undefined && !statuses)
      throw InputError.field('state', `must be one of ${Object.keys(MAINTENANCE_STATES).join(', ')}, got '${state}'`);
    return (await getMaintenances(db, { statuses, includeCancelled: true })).reverse();
  });
  app.get<IdParams>('/maintenances/:id', async (request) => {
    const maintenance = await getMaintenance(db, request.params.id);
    if (!maintenance) throw new NotFoundError('maintenance', request.params.id);
    return maintenance;
  });
  app.patch<IdParams>('/maintenances/:id', async (request) =>
    editMaintenance(herald, request.params.id, request.body ?? undefined),
  );
  app.post<IdParams>('/maintenances/:id/updates', (request, reply) =>
    idempotent(store, request, reply, async () => {
      const input = parseInput(maintenanceUpdateSchema, request.body);
      const { maintenance, notice } = await postMaintenanceUpdate(herald, request.params.id, input);
      return { status: 201, body: { maintenance, update: notice.update } };
    }),
  );
  app.delete<IdParams>('/maintenances/:id', async (request, reply) => {
    await cancelMaintenance(herald, request.params.id);
    return reply.status(204).send();
  });

  app.post('/subscribers', (request, reply) =>
    idempotent(store, request, reply, async () => {
      const input = parseInput(createSubscriberSchema, request.body);
      // Checks components, the webhook URL (https, public address) and the suppression list; see src/subscribers/.
      const created = await adminCreateSubscriber(herald.subscriberDeps, input);
      if (!('secret' in created)) return { status: 201, body: created };
      // The webhook's signing secret is shown once: a repeat of this request gets the answer without it.
      const { secret: _shownOnce, ...withoutSecret } = created;
      return {
        status: 201,
        body: created,
        replay: { ...withoutSecret, secret: null, secretWithheld: SECRET_WITHHELD },
      };
    }),
  );
  app.get('/subscribers', async () => listSubscribers(db, { limit: 10_000 }));
  app.delete<IdParams>('/subscribers/:id', async (request, reply) => {
    if (!(await deleteSubscriber(db, request.params.id))) throw new NotFoundError('subscriber', request.params.id);
    return reply.status(204).send();
  });
}

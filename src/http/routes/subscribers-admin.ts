import type { FastifyInstance } from 'fastify';
import type { Herald } from '../../app/herald.js';
import { subscriberDeps } from '../../subscribers/deps.js';
import { importSubscribers } from '../../subscribers/service.js';
import { bearerAuth } from '../auth.js';
import { requireJsonBody } from '../json-only.js';

/** Admin subscriber routes beyond the contract's: bulk import (the CLI's `herald subscriber import`). */
export async function subscriberAdminRoutes(app: FastifyInstance, { herald }: { herald: Herald }) {
  app.addHook('onRequest', bearerAuth(herald.env.apiToken));
  app.addHook('onRequest', requireJsonBody);
  // {subscribers: [{email|phone|webhookUrl, components?}…] (≤ 1000), confirmed?} → {created, existing, suppressed, invalid}
  app.post('/subscribers/import', async (request) => importSubscribers(subscriberDeps(herald), request.body));
}

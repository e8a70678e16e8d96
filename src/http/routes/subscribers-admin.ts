import type { FastifyInstance } from 'fastify';
import type { HeraldEnv } from '../../config/env.js';
import { type SubscriberDeps, importSubscribers } from '../../subscribers/service.js';
import { bearerAuth } from '../auth.js';
import { requireJsonBody } from '../json-only.js';

export interface SubscriberAdminDeps {
  env: Pick<HeraldEnv, 'apiToken'>;
  subscriberDeps: SubscriberDeps;
}

/** Admin subscriber routes beyond the contract's: bulk import (the CLI's `herald subscriber import`). */
export async function subscriberAdminRoutes(app: FastifyInstance, { herald }: { herald: SubscriberAdminDeps }) {
  app.addHook('onRequest', bearerAuth(herald.env.apiToken));
  app.addHook('onRequest', requireJsonBody);
  // {subscribers: [{email|phone|webhookUrl, components?}…] (≤ 1000), confirmed?} → {created, existing, suppressed, invalid}
  app.post('/subscribers/import', async (request) => importSubscribers(herald.subscriberDeps, request.body));
}

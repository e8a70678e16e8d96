import type { FastifyInstance } from 'fastify';
import type { HeraldEnv } from '../../config/env.js';
import type { DeliveryQueues } from '../../pipeline/queues.js';
import type { Metrics } from '../../runtime/metrics.js';
import { pingDatabase } from '../../store/db.js';
import type { Store } from '../../store/store.js';
import { bearerAuth } from '../auth.js';

export interface HealthDeps {
  store: Pick<Store, 'db'>;
  queues: Pick<DeliveryQueues, 'assertAvailable'>;
  metrics: Pick<Metrics, 'registry'>;
  env: Pick<HeraldEnv, 'metricsToken'>;
}

export async function healthRoutes(app: FastifyInstance, { herald }: { herald: HealthDeps }) {
  app.get('/healthz', async (_request, reply) => {
    const [database, queue] = await Promise.all([
      pingDatabase(herald.store.db).then(
        () => 'ok',
        (e: Error) => `unreachable: ${e.message}`,
      ),
      herald.queues.assertAvailable().then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    ]);
    const ok = database === 'ok' && queue === 'ok';
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', database, queue });
  });
  const metricsAuth = bearerAuth(herald.env.metricsToken, {
    variable: 'HERALD_METRICS_TOKEN',
    label: 'metrics',
    openWhenUnset: true,
  });
  app.get('/metrics', { onRequest: metricsAuth }, async (_request, reply) => {
    const body = await herald.metrics.registry.metrics();
    return reply.type(herald.metrics.registry.contentType).send(body);
  });
}

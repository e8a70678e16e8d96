import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AlertIntakeDeps, receiveAlerts } from '../../alerts/intake.js';
import type { AlertMetrics } from '../../alerts/metrics.js';
import type { HeraldEnv } from '../../config/env.js';
import type { AlertSource } from '../../domain/drafts.js';
import { pagerdutySignatureValid } from '../../alerts/signature.js';
import { type AlertBatch, readAlertmanager, readGeneric, readGrafana, readPagerDuty } from '../../alerts/sources.js';
import { InputError } from '../../domain/errors.js';
import { bearerAuth } from '../auth.js';

const NOT_JSON = Symbol('not JSON');

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/**
 * POST /api/v1/alerts/{alertmanager,grafana,pagerduty,generic}: monitoring alerts become drafts. Bearer
 * HERALD_ALERT_TOKEN, except PagerDuty (its signature with HERALD_PAGERDUTY_SECRET, over the raw body). A call
 * that fails the check is 401 before its body is read, and stores nothing.
 */
/** What the alert routes use of a running Herald. */
export interface AlertRouteDeps {
  env: Pick<HeraldEnv, 'alertToken' | 'pagerdutySecrets'>;
  alerts: { intake: AlertIntakeDeps; metrics: AlertMetrics };
}

export async function alertRoutes(app: FastifyInstance, { herald }: { herald: AlertRouteDeps }) {
  // Kept as bytes: PagerDuty signs the body exactly as sent.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
    } catch {
      // Answered after the token or signature check: a caller who fails it learns nothing from the body.
      done(null, NOT_JSON);
    }
  });

  const bearer = bearerAuth(herald.env.alertToken, {
    variable: 'HERALD_ALERT_TOKEN',
    what: 'the alert intake',
    label: 'alert',
  });
  const take =
    (source: AlertSource, read: (body: unknown, receivedAt: string) => AlertBatch) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const receivedAtMs = Date.now();
      let batch: AlertBatch;
      try {
        if (request.body === NOT_JSON) throw InputError.field('(body)', 'is not valid JSON');
        batch = read(request.body, new Date(receivedAtMs).toISOString());
      } catch (error) {
        herald.alerts.metrics.received.inc({ source, outcome: 'rejected' });
        throw error;
      }
      const answer = await receiveAlerts(herald.alerts.intake, batch, receivedAtMs);
      return reply.status(202).send(answer);
    };

  app.post('/alerts/alertmanager', { onRequest: bearer }, take('alertmanager', readAlertmanager));
  app.post('/alerts/grafana', { onRequest: bearer }, take('grafana', readGrafana));
  app.post('/alerts/generic', { onRequest: bearer }, take('generic', readGeneric));
  app.post(
    '/alerts/pagerduty',
    {
      preValidation: async (request, reply) => {
        const secrets = herald.env.pagerdutySecrets;
        if (secrets.length === 0)
          return reply.status(401).send({
            error: 'unauthorized',
            message: 'the PagerDuty endpoint is disabled: set HERALD_PAGERDUTY_SECRET on the server',
          });
        const header = request.headers['x-pagerduty-signature'];
        if (
          !pagerdutySignatureValid(
            request.rawBody ?? Buffer.alloc(0),
            typeof header === 'string' ? header : undefined,
            secrets,
          )
        )
          return reply.status(401).send({
            error: 'unauthorized',
            message: 'X-PagerDuty-Signature is missing or does not match HERALD_PAGERDUTY_SECRET',
          });
      },
    },
    take('pagerduty', (body) => readPagerDuty(body)),
  );
}

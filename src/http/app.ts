import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { consoleRoutes } from '../console/routes.js';
import type { Herald } from '../app/herald.js';
import { handleError } from './errors.js';
import { refuseNulCharacters } from './nul-guard.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { subscribeRoutes } from './routes/subscribe.js';
import { subscriberAdminRoutes } from './routes/subscribers-admin.js';
import { statusPageRoutes } from '../statuspage/routes.js';

export interface AppOptions {
  bodyLimit?: number;
  /** Extra route plugins (the status page, the console) registered on the same app. */
  plugins?: Array<(app: FastifyInstance, herald: Herald) => Promise<void>>;
}

/** The HTTP app, apart from listening: tests drive it with inject() or a real port. */
export async function buildApp(herald: Herald, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    loggerInstance: herald.logger.child({ component: 'http' }) as FastifyBaseLogger,
    trustProxy: herald.env.trustProxy,
    return503OnClosing: true,
    // A URL Fastify cannot decode (bad percent-encoding) gets the same {error, message} answer as other bad input.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
  });
  await app.register(formbody, { bodyLimit: options.bodyLimit ?? 1024 * 1024 });
  app.setErrorHandler(handleError);
  app.addHook('preValidation', refuseNulCharacters);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
  await app.register(adminRoutes, { prefix: '/api/v1', herald });
  await app.register(healthRoutes, { herald });
  await app.register(subscriberAdminRoutes, { prefix: '/api/v1', herald });
  await app.register(subscribeRoutes, { herald });
  await app.register(consoleRoutes, { prefix: '/console', herald });
  await statusPageRoutes(app, herald);
  for (const plugin of options.plugins ?? []) await plugin(app, herald);
  return app;
}

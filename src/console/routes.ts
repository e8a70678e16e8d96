import type { FastifyError, FastifyInstance } from 'fastify';
import { NotFoundError } from '../domain/errors.js';
import { assetsRoutes } from './assets-routes.js';
import { authRoutes } from './auth-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { composeRoutes } from './compose-routes.js';
import { type ConsoleHerald, type ConsoleOptions, createConsoleContext } from './console-context.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { draftRoutes } from './draft-routes.js';
import { frameRoutes } from './frames.js';
import { postGuard, sessionGuard } from './guard.js';
import { incidentRoutes } from './incident-routes.js';
import { incidentTemplatesRoutes } from './incident-templates-routes.js';
import { progressRoutes } from './progress-routes.js';
import { subscribersRoutes } from './subscribers-routes.js';
import { templatesRoutes } from './templates-routes.js';

/**
 * The incident commander's console, a Fastify plugin: register with `{ prefix: '/console', herald }`.
 * Server-rendered pages, one static script, sessions in the database, CSRF token on every form.
 */
export async function consoleRoutes(app: FastifyInstance, options: { herald: ConsoleHerald } & ConsoleOptions) {
  const ctx = createConsoleContext(options.herald, options);
  app.addHook('onRequest', sessionGuard(ctx));
  app.addHook('preHandler', postGuard(ctx));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof NotFoundError)
      return ctx.page(request, reply, 'error', { title: 'Not found', message: error.message }, 404);
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status >= 500) request.log.error({ err: error }, 'console request failed');
    const message =
      status >= 500 ? 'Something went wrong on the server; the details are in the server log.' : error.message;
    return ctx.page(
      request,
      reply,
      'error',
      { title: status >= 500 ? 'Server error' : 'Bad request', message },
      status,
    );
  });
  app.setNotFoundHandler((request, reply) =>
    ctx.page(
      request,
      reply,
      'error',
      { title: 'Not found', message: `There is no console page at ${request.url.split('?')[0]}.` },
      404,
    ),
  );

  authRoutes(app, ctx);
  assetsRoutes(app, ctx);
  dashboardRoutes(app, ctx);
  composeRoutes(app, ctx);
  draftRoutes(app, ctx);
  progressRoutes(app, ctx);
  incidentRoutes(app, ctx);
  catalogRoutes(app, ctx);
  incidentTemplatesRoutes(app, ctx);
  subscribersRoutes(app, ctx);
  templatesRoutes(app, ctx);
  frameRoutes(app, ctx);
}

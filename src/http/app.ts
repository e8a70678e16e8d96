import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { type StatusPageChannel, isStatusPageChannel, rebuildStatusSite } from '../channels/statuspage/index.js';
import type { HeraldEnv } from '../config/env.js';
import type { ConsoleHerald } from '../console/console-context.js';
import { consoleRoutes } from '../console/routes.js';
import type { Logger } from '../runtime/logger.js';
import { handleError } from './errors.js';
import { refuseNulCharacters } from './nul-guard.js';
import { type AdminDeps, adminRoutes } from './routes/admin.js';
import { type HealthDeps, healthRoutes } from './routes/health.js';
import { manageRoutes } from './routes/manage.js';
import { type ShortLinkDeps, shortLinkRoutes } from './routes/short-links.js';
import { type SubscribeDeps, subscribeRoutes } from './routes/subscribe.js';
import { type SubscriberAdminDeps, subscriberAdminRoutes } from './routes/subscribers-admin.js';
import { type AlertRouteDeps, alertRoutes } from './routes/alerts.js';
import { statusPageRoutes } from '../statuspage/routes.js';

/**
 * What the HTTP app uses of a running Herald: the union of what its routes declare they use. The composition root
 * (src/app) hands over its Herald, which has all of it; each route sees only its own part.
 */
export type WebDeps = AdminDeps &
  AlertRouteDeps &
  HealthDeps &
  ShortLinkDeps &
  SubscribeDeps &
  SubscriberAdminDeps &
  ConsoleHerald & {
    env: Pick<HeraldEnv, 'trustProxy' | 'statusPageDir' | 'appUrl'>;
    logger: Logger;
    /** Who may frame embed.html (`site.embedAncestors`); default any site. */
    embedAncestors?: readonly string[];
  };

export interface AppOptions {
  bodyLimit?: number;
  /** Extra route plugins registered on the same app. */
  plugins?: Array<(app: FastifyInstance, herald: WebDeps) => Promise<void>>;
}

/** The HTTP app, apart from listening: tests drive it with inject() or a real port. */
export async function buildApp(herald: WebDeps, options: AppOptions = {}): Promise<FastifyInstance> {
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
  await app.register(alertRoutes, { prefix: '/api/v1', herald });
  await app.register(healthRoutes, { herald });
  await app.register(subscriberAdminRoutes, { prefix: '/api/v1', herald });
  await app.register(subscribeRoutes, { herald });
  await app.register(shortLinkRoutes, { herald });
  await app.register(manageRoutes, { herald });
  await app.register(consoleRoutes, { prefix: '/console', herald });
  // The site is served from the status page channel's directory, built on first request when nothing is there yet.
  const statusPage: StatusPageChannel | undefined = herald.channels.find(isStatusPageChannel);
  await statusPageRoutes(app, {
    dir: statusPage?.site.dir ?? herald.env.statusPageDir,
    build: statusPage ? () => rebuildStatusSite(herald) : undefined,
    appUrl: herald.env.appUrl,
    embedAncestors: herald.embedAncestors,
  });
  for (const plugin of options.plugins ?? []) await plugin(app, herald);
  return app;
}

import type { AlertMetrics } from '../alerts/metrics.js';
import { resolve } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Channel } from '../channels/channel.js';
import type { HeraldEnv } from '../config/env.js';
import type { CatalogDeps } from '../pipeline/catalog.js';
import type { PublishDeps } from '../pipeline/publish.js';
import type { Templates } from '../render/templates.js';
import type { Metrics } from '../runtime/metrics.js';
import type { Store } from '../store/store.js';
import type { SubscriberDeps } from '../subscribers/service.js';
import { type CadenceSettings, readCadence } from './cadence.js';
import { type LoginLimits, LoginRateLimiter } from './rate-limit.js';
import { type ReminderSettings, readReminderSettings } from './reminders.js';
import type { Session } from './sessions.js';
import { ConsoleViews, type ViewName } from './views.js';

export const CONSOLE_PREFIX = '/console';
export const SESSION_COOKIE = 'herald_console';
export const LOGIN_COOKIE = 'herald_console_login';
export const CONSOLE_TEMPLATES_DIR = resolve(import.meta.dirname, '../../templates/console');

export interface ConsoleOptions {
  loginLimits?: LoginLimits;
  templatesDir?: string;
}

/** What the console uses of a running Herald (built by the composition root, src/app). */
export interface ConsoleHerald extends CatalogDeps {
  env: Pick<HeraldEnv, 'publicUrl' | 'appUrl' | 'queuePrefix' | 'vars'>;
  store: Store;
  channels: ReadonlyArray<Channel>;
  siteName: string;
  /** Login attempts and preview frames are kept here. */
  redis: Redis;
  templates: Templates;
  metrics: Pick<Metrics, 'published'>;
  publishDeps: PublishDeps;
  subscriberDeps: SubscriberDeps;
  alerts: { metrics: Pick<AlertMetrics, 'published'> };
}

/** What every console route needs, built once per app. */
export interface ConsoleContext {
  herald: ConsoleHerald;
  views: ConsoleViews;
  limiter: LoginRateLimiter;
  cadence: CadenceSettings;
  reminders: ReminderSettings;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  sessionOf(request: FastifyRequest): Session;
  page(
    request: FastifyRequest,
    reply: FastifyReply,
    view: ViewName,
    data: Record<string, unknown>,
    status?: number,
  ): FastifyReply;
}

const sessions = new WeakMap<FastifyRequest, Session>();

export function attachSession(request: FastifyRequest, session: Session) {
  sessions.set(request, session);
}

export function createConsoleContext(herald: ConsoleHerald, options: ConsoleOptions = {}): ConsoleContext {
  const views = new ConsoleViews(options.templatesDir ?? CONSOLE_TEMPLATES_DIR);
  return {
    herald,
    views,
    limiter: new LoginRateLimiter(herald.redis, herald.env.queuePrefix, options.loginLimits),
    cadence: readCadence(herald.env.vars),
    reminders: readReminderSettings(herald.env.vars),
    secureCookies: herald.env.appUrl.startsWith('https:'),
    sessionOf(request) {
      const session = sessions.get(request);
      if (!session) throw new Error('console route reached without a session: the guard must run first');
      return session;
    },
    page(request, reply, view, data, status = 200) {
      const session = sessions.get(request);
      const html = views.render(view, {
        siteName: herald.siteName,
        user: session?.user,
        isCommander: session?.user.role === 'commander',
        csrf: session?.csrfToken,
        nav: view,
        ...data,
      });
      return reply.status(status).type('text/html; charset=utf-8').send(html);
    },
  };
}

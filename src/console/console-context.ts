import { resolve } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Herald } from '../app/herald.js';
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

/** What every console route needs, built once per app. */
export interface ConsoleContext {
  herald: Herald;
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

export function createConsoleContext(herald: Herald, options: ConsoleOptions = {}): ConsoleContext {
  const views = new ConsoleViews(options.templatesDir ?? CONSOLE_TEMPLATES_DIR);
  return {
    herald,
    views,
    limiter: new LoginRateLimiter(herald.redis, herald.env.queuePrefix, options.loginLimits),
    cadence: readCadence(herald.env.vars),
    reminders: readReminderSettings(herald.env.vars),
    secureCookies: herald.env.publicUrl.startsWith('https:'),
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

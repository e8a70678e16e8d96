import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookies } from './cookies.js';
import { type ConsoleContext, CONSOLE_PREFIX, SESSION_COOKIE, attachSession } from './console-context.js';
import { loadSession, tokensMatch } from './sessions.js';

/** Route options read by the guard. */
export interface ConsoleRouteConfig {
  /** Reachable without a session (sign-in page, static assets). */
  public?: boolean;
  /** A POST a viewer may make (sign out, preview): every other POST needs the commander role. */
  viewerMayPost?: boolean;
}

const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function setPageHeaders(reply: FastifyReply) {
  reply.header('content-security-policy', PAGE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'same-origin');
  reply.header('cache-control', 'no-store');
}

/** `next` after sign-in: only a path inside the console (no open redirect). */
export function safeNext(next: unknown): string {
  if (
    typeof next !== 'string' ||
    !next.startsWith(`${CONSOLE_PREFIX}/`) ||
    next.startsWith('//') ||
    /[\\\r\n]/.test(next)
  )
    return `${CONSOLE_PREFIX}/`;
  if (next.startsWith(`${CONSOLE_PREFIX}/login`)) return `${CONSOLE_PREFIX}/`;
  return next;
}

const config = (request: FastifyRequest) => (request.routeOptions.config ?? {}) as ConsoleRouteConfig;
const wantsFragment = (request: FastifyRequest) =>
  request.headers['x-console-fetch'] === '1' || request.headers.accept === 'text/event-stream';

/** onRequest: security headers, then the session (or a redirect to sign-in). */
export function sessionGuard(ctx: ConsoleContext) {
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    setPageHeaders(reply);
    if (config(request).public) return;
    const token = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    const session = await loadSession(ctx.herald.store.db, token);
    if (!session) {
      if (wantsFragment(request))
        return reply
          .status(401)
          .type('text/plain; charset=utf-8')
          .send('signed out: reload the page and sign in again');
      const next = request.method === 'GET' ? request.url : `${CONSOLE_PREFIX}/`;
      return reply.redirect(`${CONSOLE_PREFIX}/login?next=${encodeURIComponent(next)}`, 303);
    }
    attachSession(request, session);
  };
}

/** preHandler (the body is parsed by now): every POST carries the session's CSRF token; publishing needs a commander. */
export function postGuard(ctx: ConsoleContext) {
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    if (request.method !== 'POST' || config(request).public) return;
    const session = ctx.sessionOf(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const submitted = request.headers['x-csrf-token'] ?? body._csrf;
    if (!tokensMatch(Array.isArray(submitted) ? submitted[0] : submitted, session.csrfToken)) {
      return ctx.page(
        request,
        reply,
        'error',
        {
          title: 'Form expired',
          message:
            'This form is missing its security token or the token is out of date (CSRF check). Go back, reload the page and submit again.',
        },
        403,
      );
    }
    if (session.user.role !== 'commander' && !config(request).viewerMayPost) {
      return ctx.page(
        request,
        reply,
        'error',
        {
          title: 'Not allowed',
          message: `You are signed in as ${session.user.username} with the viewer role; publishing and editing need the commander role (herald user add NAME --role commander).`,
        },
        403,
      );
    }
  };
}

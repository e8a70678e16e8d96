import type { FastifyInstance } from 'fastify';
import { clearCookie, parseCookies, serializeCookie } from './cookies.js';
import { type ConsoleContext, CONSOLE_PREFIX, LOGIN_COOKIE, SESSION_COOKIE } from './console-context.js';
import { first, type FormBody } from './compose-form.js';
import { safeNext } from './guard.js';
import { SESSION_TTL_MS, createSession, endSession, randomToken, tokensMatch } from './sessions.js';
import { normaliseUsername, verifyCredentials } from './users.js';

const PUBLIC = { config: { public: true } };

/** Sign-in (with a pre-session CSRF token in its own cookie), sign-out. */
export function authRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const cookieBase = { path: CONSOLE_PREFIX, secure: ctx.secureCookies, httpOnly: true } as const;

  const loginPage = (
    reply: Parameters<ConsoleContext['page']>[1],
    request: Parameters<ConsoleContext['page']>[0],
    data: { next: string; error?: string; username?: string },
    status = 200,
  ) => {
    const existing = parseCookies(request.headers.cookie)[LOGIN_COOKIE];
    const token = existing && existing.length >= 32 && existing.length <= 64 ? existing : randomToken();
    reply.header(
      'set-cookie',
      serializeCookie(LOGIN_COOKIE, token, { ...cookieBase, sameSite: 'Strict', maxAgeSeconds: 3600 }),
    );
    return ctx.page(request, reply, 'login', { ...data, loginCsrf: token, title: 'Sign in' }, status);
  };

  app.get<{ Querystring: { next?: string } }>('/login', PUBLIC, async (request, reply) =>
    loginPage(reply, request, { next: safeNext(request.query.next) }),
  );

  app.post<{ Body: FormBody }>('/login', PUBLIC, async (request, reply) => {
    const body = request.body ?? {};
    const username = normaliseUsername(first(body.username));
    const password = first(body.password);
    const next = safeNext(first(body.next));
    const loginCookie = parseCookies(request.headers.cookie)[LOGIN_COOKIE];
    if (!loginCookie || !tokensMatch(first(body._csrf), loginCookie)) {
      return loginPage(
        reply,
        request,
        { next, username, error: 'The sign-in form expired (CSRF check). Enter your password again.' },
        403,
      );
    }
    if (!username || !password) {
      return loginPage(reply, request, { next, username, error: 'Enter your username and password.' }, 400);
    }
    const ip = request.ip;
    const waitMs = await ctx.limiter.takeAttempt(ip, username);
    if (waitMs > 0) {
      const minutes = Math.ceil(waitMs / 60_000);
      reply.header('retry-after', String(Math.ceil(waitMs / 1000)));
      return loginPage(
        reply,
        request,
        {
          next,
          username,
          error: `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        },
        429,
      );
    }
    const user = await verifyCredentials(ctx.herald.store.db, username, password);
    if (!user) {
      return loginPage(reply, request, { next, username, error: 'Wrong username or password.' }, 401);
    }
    await ctx.limiter.recordSuccess(ip, username);
    const { token } = await createSession(ctx.herald.store.db, user.id);
    reply.header('set-cookie', [
      serializeCookie(SESSION_COOKIE, token, { ...cookieBase, sameSite: 'Lax', maxAgeSeconds: SESSION_TTL_MS / 1000 }),
      clearCookie(LOGIN_COOKIE, { ...cookieBase, sameSite: 'Strict' }),
    ]);
    return reply.redirect(next, 303);
  });

  app.post('/logout', { config: { viewerMayPost: true } }, async (request, reply) => {
    await endSession(ctx.herald.store.db, ctx.sessionOf(request).idHash);
    reply.header('set-cookie', clearCookie(SESSION_COOKIE, { ...cookieBase, sameSite: 'Lax' }));
    return reply.redirect(`${CONSOLE_PREFIX}/login`, 303);
  });
}

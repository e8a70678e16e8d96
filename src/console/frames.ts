import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from './console-context.js';
import { CONSOLE_PREFIX } from './console-context.js';
import { randomToken } from './sessions.js';

const TTL_SECONDS = 15 * 60;

// Rendered email HTML is shown on a URL of its own with a CSP that allows its inline styles but no script,
// no network and no forms; an srcdoc frame would inherit the console's CSP and show the email unstyled.
const FRAME_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; font-src data: https:; sandbox; frame-ancestors 'self'";

const key = (ctx: ConsoleContext, token: string) => `${ctx.herald.env.queuePrefix}:console:frame:${token}`;

/** Keeps `html` for the session that asked for it; returns the frame's URL. */
export async function storeFrame(ctx: ConsoleContext, sessionIdHash: string, html: string): Promise<string> {
  const token = randomToken();
  await ctx.herald.redis.set(key(ctx, token), JSON.stringify({ s: sessionIdHash, html }), 'EX', TTL_SECONDS);
  return `${CONSOLE_PREFIX}/frames/${token}`;
}

export function frameRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  app.get<{ Params: { token: string } }>('/frames/:token', async (request, reply) => {
    const stored = /^[A-Za-z0-9_-]{20,64}$/.test(request.params.token)
      ? await ctx.herald.redis.get(key(ctx, request.params.token))
      : null;
    const frame = stored ? (JSON.parse(stored) as { s: string; html: string }) : undefined;
    if (!frame || frame.s !== ctx.sessionOf(request).idHash) {
      return reply.status(404).type('text/plain; charset=utf-8').send('This preview has expired; preview again.');
    }
    return reply
      .header('content-security-policy', FRAME_CSP)
      .header('x-frame-options', 'SAMEORIGIN')
      .type('text/html; charset=utf-8')
      .send(frame.html);
  });
}

import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from './console-context.js';
import { CONSOLE_PREFIX } from './console-context.js';
import { randomToken } from './sessions.js';

const TTL_SECONDS = 15 * 60;

/** What one console session may keep in Redis for its preview frames; the newest are kept, the oldest evicted. */
export const FRAME_LIMITS = {
  /** Bytes of one frame's HTML: a bigger one is not kept (its preview says so). */
  frameBytes: 256 * 1024,
  /** Frames kept per session (a compose preview holds one or two). */
  perSession: 24,
  /** Bytes of HTML kept per session, all frames together. */
  sessionBytes: 1024 * 1024,
} as const;

export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError';
  constructor(bytes: number) {
    super(
      `its HTML is ${Math.ceil(bytes / 1024)} KB, over the ${FRAME_LIMITS.frameBytes / 1024} KB a preview may hold; shorten the message or the template`,
    );
  }
}

// Rendered email HTML is shown on a URL of its own with a CSP that allows its inline styles but no script,
// no network and no forms; an srcdoc frame would inherit the console's CSP and show the email unstyled.
const FRAME_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; font-src data: https:; sandbox; frame-ancestors 'self'";

// A session's frames live in one hash (token → HTML) with a list of tokens, newest first. Adding one and
// evicting the oldest beyond the count or byte budget is one script, so parallel previews cannot overshoot.
const ADD_FRAME = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[1])
local tokens = redis.call('LRANGE', KEYS[2], 0, -1)
local kept, bytes, evicting = 0, 0, false
for _, token in ipairs(tokens) do
  local size = redis.call('HSTRLEN', KEYS[1], token)
  if not evicting and kept < tonumber(ARGV[4]) and bytes + size <= tonumber(ARGV[5]) then
    kept = kept + 1
    bytes = bytes + size
  else
    evicting = true
    redis.call('HDEL', KEYS[1], token)
    redis.call('LREM', KEYS[2], 1, token)
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return kept
`;

const keys = (ctx: ConsoleContext, sessionIdHash: string) => {
  const base = `${ctx.herald.env.queuePrefix}:console:frames:${sessionIdHash}`;
  return { frames: base, order: `${base}:order` };
};

/** Keeps `html` for the session that asked for it; returns the frame's URL. Throws FrameTooLargeError. */
export async function storeFrame(ctx: ConsoleContext, sessionIdHash: string, html: string): Promise<string> {
  const bytes = Buffer.byteLength(html);
  if (bytes > FRAME_LIMITS.frameBytes) throw new FrameTooLargeError(bytes);
  const token = randomToken();
  const { frames, order } = keys(ctx, sessionIdHash);
  await ctx.herald.redis.eval(
    ADD_FRAME,
    2,
    frames,
    order,
    token,
    html,
    TTL_SECONDS,
    FRAME_LIMITS.perSession,
    FRAME_LIMITS.sessionBytes,
  );
  return `${CONSOLE_PREFIX}/frames/${token}`;
}

export function frameRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  app.get<{ Params: { token: string } }>('/frames/:token', async (request, reply) => {
    const html = /^[A-Za-z0-9_-]{20,64}$/.test(request.params.token)
      ? await ctx.herald.redis.hget(keys(ctx, ctx.sessionOf(request).idHash).frames, request.params.token)
      : null;
    if (html === null) {
      return reply.status(404).type('text/plain; charset=utf-8').send('This preview has expired; preview again.');
    }
    return reply
      .header('content-security-policy', FRAME_CSP)
      .header('x-frame-options', 'SAMEORIGIN')
      .type('text/html; charset=utf-8')
      .send(html);
  });
}

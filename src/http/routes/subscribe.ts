import { statusTitle } from '../../render/labels.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../domain/errors.js';
import { describeIssues } from '../../domain/schemas.js';
import type { Channel } from '../../channels/channel.js';
import type { HeraldEnv } from '../../config/env.js';
import type { Logger } from '../../runtime/logger.js';
import {
  type SubscriberDeps,
  checkUnsubscribeToken,
  confirmSubscription,
  publicSubscribe,
  publicSubscribeSchema,
  unsubscribe,
  unsubscribeAddress,
} from '../../subscribers/service.js';
import { type SmsInboundHandler, isSmsInboundHandler } from '../../channels/sms/inbound.js';
import { SECURITY_HEADERS } from '../../statuspage/security-headers.js';
import { appUrlOf } from '../../lib/app-url.js';
import { manageUrl, verifyToken } from '../../domain/link-tokens.js';

// Public routes (no auth): sign-up with double opt-in, confirmation, one-click unsubscribe, inbound SMS STOP.

type TokenQuery = { Querystring: { token?: string } };

/** What the public sign-up routes use of a running Herald. */
export interface SubscribeDeps {
  env: Pick<HeraldEnv, 'vars' | 'publicUrl' | 'appUrl'>;
  siteName: string;
  channels: ReadonlyArray<Channel>;
  logger: Logger;
  subscriberDeps: SubscriberDeps;
}

/** Fixed-window counter per key, bounded in size (one process; put a proxy limit in front for more). */
export class WindowLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}
  /** Counts a hit: 0 when allowed, else the milliseconds until the window resets (for Retry-After). */
  waitFor(key: string, now = Date.now()): number {
    if (this.hits.size > 50_000) for (const [k, v] of this.hits) if (v.resetAt <= now) this.hits.delete(k);
    const entry = this.hits.get(key);
    if (!entry || entry.resetAt <= now) {
      this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
      return 0;
    }
    entry.count++;
    return entry.count <= this.max ? 0 : entry.resetAt - now;
  }
}

export function rateSetting(raw: string | undefined, fallback: [number, number]): [number, number] {
  const match = raw ? /^(\d+)\/(\d+)$/.exec(raw) : null;
  return match ? [Number(match[1]), Number(match[2]) * 1000] : fallback;
}

const ACCEPTED =
  'Thanks. If this address can receive updates, a confirmation message is on its way: follow its link to start getting updates.';

export const wantsHtml = (request: FastifyRequest) =>
  !/json/.test(String(request.headers['content-type'] ?? '')) &&
  /text\/html/.test(String(request.headers.accept ?? ''));

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// The pages' own stylesheet: with the status page's CSP (no inline style) it is a file of its own.
const PAGE_CSS_PATH = '/subscribe/page.css';
const PAGE_CSS =
  'body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}button{font:inherit;padding:.6rem 1rem;border-radius:6px;border:1px solid #1f6feb;background:#1f6feb;color:#fff;cursor:pointer}' +
  'p,label{overflow-wrap:anywhere}fieldset{min-width:0;border:1px solid #d0d7de;border-radius:6px;margin:0 0 1rem;padding:.6rem 1rem}legend{font-weight:600;padding:0 .3rem}label{display:block;margin:.35rem 0}.nested{margin-left:1.6rem}input[type=tel]{font:inherit;padding:.3rem .5rem;border:1px solid #d0d7de;border-radius:6px;max-width:100%}.hint{color:#57606a;font-size:.9rem}\n';

export function page(siteName: string, title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · ${escapeHtml(siteName)}</title>
<link rel="stylesheet" href="${PAGE_CSS_PATH}"></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** A 429 with how long to wait, in whole seconds (at least 1). */
export function tooMany(reply: FastifyReply, waitMs: number) {
  reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
}

export function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  herald: Pick<SubscribeDeps, 'siteName' | 'env'>,
  status: number,
  title: string,
  message: string,
  extraHtml = '',
) {
  reply.header('cache-control', 'no-store');
  if (wantsHtml(request) || request.method === 'GET') {
    return reply
      .headers(SECURITY_HEADERS)
      .status(status)
      .type('text/html; charset=utf-8')
      .send(page(herald.siteName, title, `<p>${escapeHtml(message)}</p>${extraHtml}${backToPage(herald)}`));
  }
  return reply
    .status(status)
    .send(
      status >= 400
        ? { error: status === 429 ? 'rate_limited' : 'invalid_request', message }
        : { status: title.toLowerCase().replace(/\s+/g, '_'), message },
    );
}

/** The way back to the status page, which may live elsewhere (HERALD_PUBLIC_URL) than Herald (HERALD_APP_URL). */
const backToPage = (herald: Pick<SubscribeDeps, 'siteName' | 'env'>) =>
  `<p><a href="${escapeHtml(herald.env.publicUrl)}/">Back to the ${escapeHtml(herald.siteName)} status page</a></p>`;

/** Form bodies spell lists `components[]=a&components[]=b` or `components=a`; JSON sends an array. */
export function normaliseBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const input = { ...(body as Record<string, unknown>) };
  if ('components[]' in input) {
    input.components = input['components[]'];
    delete input['components[]'];
  }
  if (typeof input.components === 'string') input.components = input.components === '' ? [] : [input.components];
  for (const key of ['email', 'phone', 'webhookUrl']) if (input[key] === '') delete input[key];
  return input;
}

export async function subscribeRoutes(app: FastifyInstance, { herald }: { herald: SubscribeDeps }) {
  const deps = herald.subscriberDeps;
  const vars = herald.env.vars;
  const [ipMax, ipWindow] = rateSetting(vars.HERALD_SUBSCRIBE_RATE_PER_IP, [10, 15 * 60_000]);
  const [, resendAfterMs] = rateSetting(vars.HERALD_CONFIRM_RESEND ? `1/${vars.HERALD_CONFIRM_RESEND}` : undefined, [
    1,
    10 * 60_000,
  ]);
  const perIp = new WindowLimiter(ipMax, ipWindow);
  const linkLimiter = new WindowLimiter(ipMax * 6, ipWindow);

  app.get(PAGE_CSS_PATH, async (_request, reply) =>
    reply
      .headers(SECURITY_HEADERS)
      .header('cache-control', 'public, max-age=3600')
      .type('text/css; charset=utf-8')
      .send(PAGE_CSS),
  );

  app.post('/subscribe', async (request, reply) => {
    const wait = perIp.waitFor(request.ip);
    if (wait > 0) {
      tooMany(reply, wait);
      return answer(
        request,
        reply,
        herald,
        429,
        'Too many sign-ups',
        'too many sign-ups from your address; wait a few minutes and try again',
      );
    }
    const body = normaliseBody(request.body);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw InputError.field('(body)', 'must be a form or a JSON object with email, phone or webhookUrl');
    const parsed = publicSubscribeSchema.safeParse(body);
    if (!parsed.success) throw new InputError(describeIssues(parsed.error).details);
    // The honeypot: answered like any sign-up, nothing stored, nothing sent.
    if (!parsed.data.website) await publicSubscribe(deps, parsed.data, { resendAfterMs });
    return answer(request, reply, herald, 202, 'Check your inbox', ACCEPTED);
  });

  app.get<TokenQuery>('/subscribe/confirm', async (request, reply) => {
    const wait = linkLimiter.waitFor(request.ip);
    if (wait > 0) {
      tooMany(reply, wait);
      return answer(request, reply, herald, 429, 'Too many requests', 'too many requests; wait a few minutes');
    }
    const outcome = await confirmSubscription(deps, request.query.token);
    if (!outcome.ok) return answer(request, reply, herald, 400, 'Link not valid', outcome.problem);
    return answer(
      request,
      reply,
      herald,
      200,
      'Subscription confirmed',
      outcome.already
        ? 'Your subscription was already confirmed.'
        : `You will get ${statusTitle(herald.siteName)} updates from now on.`,
    );
  });

  // A GET never unsubscribes (mail scanners follow links): it shows a button that POSTs.
  app.get<TokenQuery>('/unsubscribe', async (request, reply) => {
    const outcome = checkUnsubscribeToken(deps, request.query.token);
    if (!outcome.ok) return answer(request, reply, herald, 400, 'Link not valid', outcome.problem);
    const action = `/unsubscribe?token=${encodeURIComponent(String(request.query.token))}`;
    const check = verifyToken(deps.secret, 'unsubscribe', request.query.token);
    const manage = check.ok ? manageUrl(appUrlOf(herald.env), deps.secret, check.subscriberId) : '';
    return answer(
      request,
      reply,
      herald,
      200,
      'Unsubscribe',
      `Stop getting ${statusTitle(herald.siteName)} updates?`,
      `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>` +
        (manage
          ? `<p class="hint">Or <a href="${escapeHtml(manage)}">manage your subscription</a>: choose the components and channels you get updates for.</p>`
          : ''),
    );
  });

  // RFC 8058 one-click: a POST with the token in the URL, body List-Unsubscribe=One-Click, no cookies.
  app.post<TokenQuery>('/unsubscribe', async (request, reply) => {
    const wait = linkLimiter.waitFor(request.ip);
    if (wait > 0) {
      tooMany(reply, wait);
      return answer(request, reply, herald, 429, 'Too many requests', 'too many requests; wait a few minutes');
    }
    const bodyToken = (request.body as { token?: unknown } | undefined)?.token;
    const outcome = await unsubscribe(deps, request.query.token ?? bodyToken);
    if (!outcome.ok) return answer(request, reply, herald, 400, 'Link not valid', outcome.problem);
    return answer(
      request,
      reply,
      herald,
      200,
      'Unsubscribed',
      `You will not get ${statusTitle(herald.siteName)} updates any more.`,
    );
  });

  // Twilio's inbound webhook: STOP (and its synonyms) unsubscribes the sender. The signature is checked first.
  app.post('/sms/inbound', async (request, reply) => {
    const handler = herald.channels.find((c): c is typeof c & SmsInboundHandler => isSmsInboundHandler(c));
    if (!handler)
      return reply.status(404).send({ error: 'not_found', message: 'the SMS channel is not enabled on this server' });
    const params = Object.fromEntries(
      Object.entries((request.body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
    const signature = String(request.headers['x-twilio-signature'] ?? '');
    const path = request.url;
    const candidates = [`${herald.env.appUrl}${path}`, `${request.protocol}://${request.host}${path}`];
    if (!candidates.some((url) => handler.verifyInbound(url, params, signature))) {
      return reply.status(403).send({
        error: 'forbidden',
        message: 'X-Twilio-Signature does not match: the request did not come from Twilio with this account token',
      });
    }
    const from = params.From ?? '';
    if (handler.isStop(params.Body ?? '') && from) {
      await unsubscribeAddress(deps, 'sms', from, 'STOP by SMS');
      herald.logger.info({ channel: handler.name }, 'SMS subscriber sent STOP: unsubscribed');
    }
    return reply.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });
}

import { statusTitle } from '../../render/labels.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../domain/errors.js';
import { describeIssues } from '../../domain/schemas.js';
import { type Channel, signupKinds } from '../../channels/channel.js';
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
import { appUrlOf } from '../../lib/app-url.js';
import { manageUrl, verifyToken } from '../../domain/link-tokens.js';
import type { Templates } from '../../render/templates.js';
import type { Brand } from '../../statuspage/brand.js';
import type { SubscriberKind } from '../../domain/types.js';
import { PublicPages, escapeHtml, sentence, wantsHtml } from './public-pages.js';

// Public routes (no auth): sign-up with double opt-in, confirmation, one-click unsubscribe, inbound SMS STOP.

type TokenQuery = { Querystring: { token?: string } };

/** What the public sign-up routes use of a running Herald. */
export interface SubscribeDeps {
  env: Pick<HeraldEnv, 'vars' | 'publicUrl' | 'appUrl'>;
  siteName: string;
  /** channels.config.ts `site` as loaded at start (logo, favicon, accent colour). */
  brand: Brand;
  channels: ReadonlyArray<Channel>;
  logger: Logger;
  subscriberDeps: SubscriberDeps;
  /** The status page's templates: Herald's answer pages share its layout. */
  templates: Templates;
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

export { escapeHtml, wantsHtml } from './public-pages.js';

/** A 429 with how long to wait, in whole seconds (at least 1). */
export function tooMany(reply: FastifyReply, waitMs: number) {
  reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
}

/**
 * One answer, as a page in the status page's look for a browser (and for every GET: a link opened from a
 * message), as `{error, message}` or `{status, message}` for a script. On a page the message is a sentence.
 */
export function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  pages: PublicPages,
  status: number,
  title: string,
  message: string,
  extraHtml = '',
) {
  reply.header('cache-control', 'no-store');
  if (wantsHtml(request) || request.method === 'GET')
    return pages.send(reply, status, pages.page(title, `<p>${escapeHtml(sentence(message))}</p>${extraHtml}`));
  return reply
    .status(status)
    .send(
      status >= 400
        ? { error: status === 429 ? 'rate_limited' : 'invalid_request', message }
        : { status: title.toLowerCase().replace(/\s+/g, '_'), message },
    );
}

/** Form bodies spell lists `components[]=a&components[]=b` or `components=a`; JSON sends an array. */
export function normaliseBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const input = { ...(body as Record<string, unknown>) };
  if ('components[]' in input) {
    input.components = input['components[]'];
    delete input['components[]'];
  }
  if (typeof input.components === 'string') input.components = input.components === '' ? [] : [input.components];
  if ('groups[]' in input) {
    input.groups = input['groups[]'];
    delete input['groups[]'];
  }
  if (typeof input.groups === 'string') input.groups = [input.groups];
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

  const pages = PublicPages.of(herald);
  pages.register(app);

  app.post('/subscribe', async (request, reply) => {
    const wait = perIp.waitFor(request.ip);
    if (wait > 0) {
      tooMany(reply, wait);
      return answer(
        request,
        reply,
        pages,
        429,
        'Too many sign-ups',
        'too many sign-ups from your address; wait a few minutes and try again',
      );
    }
    const body = normaliseBody(request.body);
    const html = wantsHtml(request);
    try {
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw InputError.field('(body)', 'must be a form or a JSON object with email, phone or webhookUrl');
      const parsed = publicSubscribeSchema.safeParse(body);
      if (!parsed.success) throw new InputError(describeIssues(parsed.error).details);
      // The honeypot: answered like any sign-up, nothing stored, nothing sent.
      if (!parsed.data.website) await publicSubscribe(deps, parsed.data, { resendAfterMs });
      if (!html) return answer(request, reply, pages, 202, 'Check your inbox', ACCEPTED);
      return pages.send(reply.header('cache-control', 'no-store'), 202, sentPage(pages, parsed.data));
    } catch (error) {
      if (!(html && error instanceof InputError)) throw error;
      // The form again, the reader's entries kept (escaped by the template), the problem named.
      const first = error.details[0] ?? { field: '(body)', problem: error.message };
      const entries = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
      const text = (key: string) => (typeof entries[key] === 'string' ? (entries[key] as string) : undefined);
      const list = (key: string) =>
        Array.isArray(entries[key]) ? (entries[key] as unknown[]).filter((v) => typeof v === 'string') : undefined;
      const form = await pages.form(deps.db, {
        values: {
          email: text('email'),
          phone: text('phone'),
          webhookUrl: text('webhookUrl'),
          components: list('components') as string[] | undefined,
          groups: list('groups') as string[] | undefined,
        },
        problem: { field: first.field, message: problemText(error, signupKinds(herald.channels)) },
      });
      return pages.send(reply, 400, form);
    }
  });

  app.get<TokenQuery>('/subscribe/confirm', async (request, reply) => {
    const wait = linkLimiter.waitFor(request.ip);
    if (wait > 0) {
      tooMany(reply, wait);
      return answer(request, reply, pages, 429, 'Too many requests', 'too many requests; wait a few minutes');
    }
    const outcome = await confirmSubscription(deps, request.query.token);
    if (!outcome.ok) return answer(request, reply, pages, 400, 'Link not valid', outcome.problem);
    return answer(
      request,
      reply,
      pages,
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
    if (!outcome.ok) return answer(request, reply, pages, 400, 'Link not valid', outcome.problem);
    const action = `/unsubscribe?token=${encodeURIComponent(String(request.query.token))}`;
    const check = verifyToken(deps.secret, 'unsubscribe', request.query.token);
    const manage = check.ok ? manageUrl(appUrlOf(herald.env), deps.secret, check.subscriberId) : '';
    return answer(
      request,
      reply,
      pages,
      200,
      'Unsubscribe',
      `Stop getting ${statusTitle(herald.siteName)} updates?`,
      `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>` +
        (manage
          ? `<p class="muted">Or <a href="${escapeHtml(manage)}">manage your subscription</a>: choose the components and channels you get updates for.</p>`
          : ''),
    );
  });

  // RFC 8058 one-click: a POST with the token in the URL, body List-Unsubscribe=One-Click, no cookies.
  app.post<TokenQuery>('/unsubscribe', async (request, reply) => {
    const wait = linkLimiter.waitFor(request.ip);
    if (wait > 0) {
      tooMany(reply, wait);
      return answer(request, reply, pages, 429, 'Too many requests', 'too many requests; wait a few minutes');
    }
    const bodyToken = (request.body as { token?: unknown } | undefined)?.token;
    const outcome = await unsubscribe(deps, request.query.token ?? bodyToken);
    if (!outcome.ok) return answer(request, reply, pages, 400, 'Link not valid', outcome.problem);
    return answer(
      request,
      reply,
      pages,
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

const EXACTLY_ONE = 'give exactly one of email, phone or webhookUrl';
const ENTER: Record<SubscriberKind, string> = {
  email: 'an email address',
  sms: 'a mobile number',
  webhook: 'a webhook URL',
};

const FIELD_LABEL: Record<string, string> = {
  email: 'Email address',
  phone: 'Mobile number',
  webhookUrl: 'Webhook URL',
  components: 'Components',
  groups: 'Component groups',
};

/** Each problem as a sentence naming the form field by its label ("Email address: must be …"). */
function problemText(error: InputError, offered: ReadonlyArray<SubscriberKind>): string {
  const details = error.details.length > 0 ? error.details : [{ field: '', problem: error.message }];
  return details
    .map((d) => {
      // Nothing given, or two kinds at once: said with the labels of the fields this form has.
      if (d.problem === EXACTLY_ONE && offered.length > 0) {
        const fields = offered.map((k) => ENTER[k]);
        return sentence(
          fields.length === 1
            ? `enter ${fields[0]}`
            : `enter one of these: ${fields.slice(0, -1).join(', ')} or ${fields.at(-1)}`,
        );
      }
      const label = FIELD_LABEL[d.field];
      const field = label ?? (d.field && d.field !== '(body)' ? d.field : '');
      return sentence(field ? `${field}: ${d.problem}` : d.problem);
    })
    .join(' ');
}

/** The page after a sign-up from the form: where to look, and what happens next. Same whatever the address's state. */
function sentPage(pages: PublicPages, input: { email?: string; phone?: string; webhookUrl?: string }): string {
  const [title, where, look] = input.email
    ? [
        'Check your inbox',
        escapeHtml(input.email),
        'Look for an email from us; if it is not there in a few minutes, look in your spam folder.',
      ]
    : input.phone
      ? ['Check your phone', escapeHtml(input.phone), 'Look for a text message from us.']
      : [
          'Check your endpoint',
          escapeHtml(input.webhookUrl ?? ''),
          'Your endpoint receives a signed <code>subscription.confirm</code> event; its <code>data.confirmUrl</code> is the link to follow.',
        ];
  return pages.page(
    title,
    `<p>If <strong>${where}</strong> can receive updates, a confirmation message is on its way to it.</p>
<h2>What happens next</h2>
<ol>
<li>${look}</li>
<li>Follow the link in it within 48 hours to confirm. Until then, nothing else is sent.</li>
<li>From then on you get a message when an incident is opened, updated or resolved. Every message has a link to unsubscribe.</li>
</ol>
<p class="muted">Nothing arrived? Sign up again in ten minutes: we send at most one confirmation per address in that time.</p>`,
  );
}

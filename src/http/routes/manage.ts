import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InputError } from '../../domain/errors.js';
import {
  type Preferences,
  type PreferencesForm,
  loadPreferences,
  savePreferences,
} from '../../subscribers/preferences.js';
import { type SubscribeDeps, WindowLimiter, answer, normaliseBody, rateSetting, tooMany } from './subscribe.js';
import { PublicPages, escapeHtml, sentence, wantsHtml } from './public-pages.js';

type TokenQuery = { Querystring: { token?: string } };

const KIND_LABEL = { email: 'Email', sms: 'SMS', webhook: 'Webhook' } as const;

function form(p: Preferences, token: string, note = ''): string {
  const all = p.following.length === 0;
  const following = new Set(p.following);
  const components = p.components
    .map(
      (c) =>
        `<label class="nested"><input type="checkbox" name="components" value="${escapeHtml(c.id)}"${all || following.has(c.id) ? ' checked' : ''}> <span>${escapeHtml(c.name)}${c.group ? ` <span class="muted">(${escapeHtml(c.group)})</span>` : ''}</span></label>`,
    )
    .join('');
  const sms = p.canAddSms
    ? `<label for="sms-phone">Also by SMS, to this mobile number:</label><input id="sms-phone" type="tel" name="phone" autocomplete="tel" placeholder="+14155550100" aria-describedby="sms-hint"><p class="muted" id="sms-hint">International format. We send a confirmation SMS first; reply STOP to any SMS to end them.</p>`
    : '';
  const action = `/subscribe/manage?token=${encodeURIComponent(token)}`;
  return `${note}<p>Updates for <strong>${escapeHtml(p.address)}</strong>.</p>
<form method="post" action="${escapeHtml(action)}">
<fieldset><legend>Components</legend>
<label><input type="radio" name="scope" value="all"${all ? ' checked' : ''}> Every component, including ones added later</label>
<label><input type="radio" name="scope" value="some"${all ? '' : ' checked'}> Only the ones ticked:</label>
${components}
</fieldset>
<fieldset><legend>Channels</legend>
<label><input type="checkbox" name="keep" value="on" checked> <span>${KIND_LABEL[p.kind]} to ${escapeHtml(p.address)}${p.kindOffered ? '' : ` <span class="muted">(none sent at the moment: this status page's ${KIND_LABEL[p.kind].toLowerCase()} channel is off)</span>`}</span></label>
${sms}</fieldset>
<button type="submit">Save preferences</button>
</form>`;
}

/** `GET /subscribe/manage?token=…` shows the subscriber's choices; `POST` saves them (for the next update on). */
export async function manageRoutes(app: FastifyInstance, { herald }: { herald: SubscribeDeps }) {
  const deps = herald.subscriberDeps;
  const [max, windowMs] = rateSetting(herald.env.vars.HERALD_SUBSCRIBE_RATE_PER_IP, [10, 15 * 60_000]);
  const limiter = new WindowLimiter(max * 6, windowMs);
  const [, resendAfterMs] = rateSetting(
    herald.env.vars.HERALD_CONFIRM_RESEND ? `1/${herald.env.vars.HERALD_CONFIRM_RESEND}` : undefined,
    [1, 10 * 60_000],
  );

  const pages = PublicPages.of(herald);
  const show = (reply: FastifyReply, status: number, body: string) =>
    pages.send(reply, status, pages.page('Manage subscription', body));

  const limited = (request: FastifyRequest, reply: FastifyReply) => {
    const wait = limiter.waitFor(request.ip);
    if (wait === 0) return undefined;
    tooMany(reply, wait);
    return answer(request, reply, pages, 429, 'Too many requests', 'too many requests; wait a few minutes');
  };

  app.get<TokenQuery>('/subscribe/manage', async (request, reply) => {
    const refused = limited(request, reply);
    if (refused) return refused;
    const loaded = await loadPreferences(deps, request.query.token);
    if (!loaded.ok) return answer(request, reply, pages, 400, 'Link not valid', loaded.problem);
    return show(reply, 200, form(loaded.preferences, String(request.query.token)));
  });

  app.post<TokenQuery>('/subscribe/manage', async (request, reply) => {
    const refused = limited(request, reply);
    if (refused) return refused;
    const body = (normaliseBody(request.body) ?? {}) as PreferencesForm & { token?: string };
    const token = request.query.token ?? body.token;
    let saved: Awaited<ReturnType<typeof savePreferences>>;
    try {
      saved = await savePreferences(deps, token, body, { resendAfterMs });
    } catch (error) {
      // A choice that cannot be saved: the form again, saying what to change (a script gets the JSON error).
      const loaded = error instanceof InputError && wantsHtml(request) ? await loadPreferences(deps, token) : null;
      if (!loaded?.ok) throw error;
      const problems = (error as InputError).details.map((d) => sentence(`${d.field}: ${d.problem}`)).join(' ');
      return show(
        reply,
        400,
        form(
          loaded.preferences,
          String(token),
          `<p role="alert"><strong>Not saved.</strong> ${escapeHtml(problems)}</p>`,
        ),
      );
    }
    if (!saved.ok) return answer(request, reply, pages, 400, 'Link not valid', saved.problem);
    const sms = saved.smsRequested ? ' A confirmation SMS is on its way: follow its link to start SMS updates.' : '';
    if (saved.unsubscribed)
      return show(
        reply,
        200,
        `<p>You will not get ${escapeHtml(herald.siteName)} status updates here any more.${escapeHtml(sms)}</p>`,
      );
    const loaded = await loadPreferences(deps, token);
    if (!loaded.ok) return answer(request, reply, pages, 400, 'Link not valid', loaded.problem);
    const note = `<p role="status"><strong>Saved.</strong> Your choices apply from the next update.${escapeHtml(sms)}</p>`;
    return show(reply, 200, form(loaded.preferences, String(token), note));
  });
}

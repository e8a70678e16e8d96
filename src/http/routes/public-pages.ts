import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isStatusPageChannel } from '../../channels/statuspage/index.js';
import { signupKinds } from '../../channels/channel.js';
import type { Channel } from '../../channels/channel.js';
import type { HeraldEnv } from '../../config/env.js';
import { statusTitle } from '../../render/labels.js';
import type { Templates } from '../../render/templates.js';
import type { Brand } from '../../statuspage/brand.js';
import {
  type AnswerPlace,
  type FollowLink,
  PageRenderer,
  type PageSite,
  type SubscribeForm,
} from '../../statuspage/pages.js';
import { SECURITY_HEADERS } from '../../statuspage/security-headers.js';
import { listComponents } from '../../store/components-repo.js';
import type { Executor } from '../../store/executor.js';

// Herald's own public answer pages (signed up, confirmed, unsubscribed, the preference page, a link not valid) in
// the status page's look: its layout and stylesheet, rendered by the status page channel's renderer when there is
// one, else by one of their own wearing the same `site` brand. The files they load are served beside them, under
// /subscribe/assets/, so they never depend on the site.

/** What the answer pages use of a running Herald. */
export interface PublicPagesDeps {
  env: Pick<HeraldEnv, 'publicUrl' | 'appUrl'>;
  siteName: string;
  /** channels.config.ts `site` as loaded at start: the pages wear it with or without a status page channel. */
  brand: Brand;
  channels: ReadonlyArray<Channel>;
  templates: Templates;
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A problem as a person reads it on a page: a sentence, with a capital letter and a full stop. */
export const sentence = (s: string) => {
  const text = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
};

/** The weight an Accept header gives a media type: -1 when it does not name it. */
function quality(accept: string, type: string): number {
  let best = -1;
  for (const part of accept.split(',')) {
    const [media = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (media !== type) continue;
    const q = params.find((p) => p.startsWith('q='));
    best = Math.max(best, q ? Number(q.slice(2)) || 0 : 1);
  }
  return best;
}

/**
 * Whether the answer should be an HTML page: the Accept header decides when it prefers text/html or
 * application/json; when it names neither (absent, or the any-type wildcard) or both alike, the body's type does: a form is what a
 * browser sends, JSON what a script sends.
 */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  const html = quality(accept, 'text/html');
  const json = quality(accept, 'application/json');
  if (Math.max(html, json) > 0 && html !== json) return html > json;
  return !/json/i.test(String(request.headers['content-type'] ?? ''));
}

const ASSETS_PREFIX = '/subscribe/';

const built = new WeakMap<PublicPagesDeps, PublicPages>();

export class PublicPages {
  /** One per Herald: the sign-up and the preference routes share it. */
  static of(deps: PublicPagesDeps): PublicPages {
    let pages = built.get(deps);
    if (!pages) built.set(deps, (pages = new PublicPages(deps)));
    return pages;
  }

  readonly renderer: PageRenderer;
  readonly place: AnswerPlace;
  private readonly site: PageSite;
  private readonly follow: FollowLink[];

  private constructor(private readonly deps: PublicPagesDeps) {
    const statusPage = deps.channels.find(isStatusPageChannel);
    this.renderer = statusPage?.site.renderer ?? new PageRenderer(deps.templates, 90, deps.brand);
    this.follow = [...(statusPage?.follow ?? [])];
    const appPath = new URL(deps.env.appUrl).pathname.replace(/\/+$/, '');
    // The status page's pages are at its own address (HERALD_PUBLIC_URL, not Herald's); without one there are none.
    this.place = {
      root: statusPage ? `${deps.env.publicUrl.replace(/\/+$/, '')}/` : null,
      assetRoot: `${appPath}${ASSETS_PREFIX}`,
    };
    this.site = { siteName: deps.siteName, updatedAt: '', historyDays: 90 };
  }

  /** GET /subscribe/assets/…: the stylesheet, scripts and brand images the answer pages load. */
  register(app: FastifyInstance) {
    for (const file of this.renderer.assets()) {
      app.get(`${ASSETS_PREFIX}${file.path}`, async (_request, reply) =>
        reply
          .headers(SECURITY_HEADERS)
          .header('cache-control', 'public, max-age=31536000, immutable')
          .type(file.type)
          .send(file.content),
      );
    }
  }

  /** A page titled `title` around `bodyHtml` (already escaped), with the way back to the status page if there is one. */
  page(title: string, bodyHtml: string): string {
    const back =
      this.place.root === null
        ? ''
        : `<p><a href="${escapeHtml(this.place.root)}">Back to the ${escapeHtml(statusTitle(this.deps.siteName))} page</a></p>`;
    return this.renderer.renderAnswer(this.site, this.place, title, `<h1>${escapeHtml(title)}</h1>${bodyHtml}${back}`);
  }

  /** The sign-up form again, with what the reader entered and the problem named. */
  async form(db: Executor, form: Omit<SubscribeForm, 'appUrl' | 'kinds' | 'follow'>): Promise<string> {
    return this.renderer.renderSubscribe(
      this.site,
      await listComponents(db),
      { ...form, appUrl: this.deps.env.appUrl, kinds: signupKinds(this.deps.channels), follow: this.follow },
      this.place,
    );
  }

  send(reply: FastifyReply, status: number, html: string) {
    return (
      reply
        .headers(SECURITY_HEADERS)
        // Their addresses carry link tokens: no Referer from them, not even to Herald's own files.
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .status(status)
        .type('text/html; charset=utf-8')
        .send(html)
    );
  }
}

import type { Measure, MessageView, UpdateContext } from '../channel.js';
import { type Cut, countGraphemes, fitTextWithCut } from '../../render/fit.js';
import type { TemplateFn } from '../../render/templates.js';
import { ownTextParts, ownTextProblem, plainPostText, postPreview, precut } from '../twitter/render.js';

export const MASTODON_MAX_CHARS = 500;
const URL_WEIGHT = 23;

export interface Toot {
  text: string;
  cut?: Cut | null;
}

/**
 * Characters as Mastodon counts them (graphemes, every link 23). A link Mastodon does not recognise counts at
 * its own length, so a link is counted at max(23, its length): never over the limit either way.
 */
export function tootLength(text: string): number {
  // Far over the limit: say so without segmenting (fitting measures many candidates of a long message).
  if (text.length > 10 * MASTODON_MAX_CHARS) return Number.POSITIVE_INFINITY;
  let extra = 0;
  const rest = text.replace(/https?:\/\/\S+/g, (url) => {
    extra += Math.max(URL_WEIGHT, countGraphemes(url));
    return '';
  });
  return countGraphemes(rest) + extra;
}

/** A post's length as Mastodon counts it, against its limit: the counter fitting uses. */
export function tootMeasure(text: string): Measure {
  const length = tootLength(text);
  return Number.isFinite(length)
    ? { label: 'Length', value: length, limit: MASTODON_MAX_CHARS, unit: 'characters', detail: 'a link counts 23' }
    : {
        label: 'Length',
        value: text.length,
        limit: MASTODON_MAX_CHARS,
        unit: 'characters',
        detail: 'far over the limit: not counted link by link',
      };
}

export const tootView: MessageView<Toot> = {
  preview: postPreview,
  measure: (toot) => [tootMeasure(toot.text)],
  templates: { folder: 'mastodon', measureText: (text) => [tootMeasure(text)] },
};

/** As on X: status, title and message fitted to 500 characters, or the commander's own social text; then the link. */
export function renderToot(ctx: UpdateContext, templates: { head: TemplateFn; body: TemplateFn }): Toot {
  const parts = ctx.update.socialText
    ? ownTextParts(ctx.update.socialText, ctx.incident.url, 10 * MASTODON_MAX_CHARS)
    : {
        head: plainPostText(templates.head(ctx)),
        body: precut(plainPostText(templates.body(ctx)), 10 * MASTODON_MAX_CHARS),
        tail: ctx.incident.url,
      };
  return fitTextWithCut(parts, MASTODON_MAX_CHARS, tootLength);
}

export const ownTootProblem = (text: string, link: string) =>
  ownTextProblem(text, link, 10 * MASTODON_MAX_CHARS, 'Mastodon', (post) => {
    const length = tootLength(post);
    return length <= MASTODON_MAX_CHARS
      ? null
      : `${length} characters with the incident link; Mastodon takes at most ${MASTODON_MAX_CHARS}`;
  });

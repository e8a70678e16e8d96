import type { Measure, MessageView, UpdateContext } from '../channel.js';
import { type Cut, countGraphemes, fitTextWithCut } from '../../render/fit.js';
import type { TemplateFn } from '../../render/templates.js';
import { ownTextParts, ownTextProblem, plainPostText, postPreview, precut } from '../twitter/render.js';

export const BLUESKY_MAX_GRAPHEMES = 300;
/** app.bsky.feed.post also caps the text at 3000 bytes (maxLength), which long emoji sequences can reach first. */
export const BLUESKY_MAX_BYTES = 3000;

export interface LinkFacet {
  index: { byteStart: number; byteEnd: number };
  features: Array<{ $type: 'app.bsky.richtext.facet#link'; uri: string }>;
}

export interface BlueskyPost {
  text: string;
  /** Links made clickable: Bluesky shows plain text unless a facet marks the range (UTF-8 byte offsets). */
  facets: LinkFacet[];
  cut?: Cut | null;
}

const encoder = new TextEncoder();
const byteLength = (s: string) => encoder.encode(s).length;

export function postLength(text: string): number {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so this text is surely over 3000 bytes.
  if (text.length > BLUESKY_MAX_BYTES) return Number.POSITIVE_INFINITY;
  const graphemes = countGraphemes(text);
  return byteLength(text) > BLUESKY_MAX_BYTES ? Math.max(graphemes, BLUESKY_MAX_GRAPHEMES + 1) : graphemes;
}

/**
 * A post against both of Bluesky's limits, by the counts fitting uses (postLength): graphemes, and UTF-8 bytes.
 * Text too long to be counted quickly is reported by its UTF-16 length, which is over the limit either way.
 */
export function blueskyMeasure(text: string): Measure[] {
  const quick = text.length > BLUESKY_MAX_BYTES;
  return [
    {
      label: 'Length',
      value: quick ? text.length : countGraphemes(text),
      limit: BLUESKY_MAX_GRAPHEMES,
      unit: 'characters',
    },
    { label: 'Size', value: quick ? text.length : byteLength(text), limit: BLUESKY_MAX_BYTES, unit: 'bytes of UTF-8' },
  ];
}

export const blueskyView: MessageView<BlueskyPost> = {
  preview: postPreview,
  measure: (post) => blueskyMeasure(post.text),
  templates: { folder: 'bluesky', measureText: blueskyMeasure },
};

export function renderBlueskyPost(ctx: UpdateContext, templates: { head: TemplateFn; body: TemplateFn }): BlueskyPost {
  const parts = ctx.update.socialText
    ? ownTextParts(ctx.update.socialText, ctx.incident.url, BLUESKY_MAX_BYTES)
    : {
        head: plainPostText(templates.head(ctx)),
        body: precut(plainPostText(templates.body(ctx)), BLUESKY_MAX_BYTES),
        tail: ctx.incident.url,
      };
  const { text, cut } = fitTextWithCut(parts, BLUESKY_MAX_GRAPHEMES, postLength);
  return { text, facets: linkFacets(text), cut };
}

export const ownBlueskyPostProblem = (text: string, link: string) =>
  ownTextProblem(text, link, BLUESKY_MAX_BYTES, 'Bluesky', (post) => {
    const graphemes = countGraphemes(post);
    if (graphemes > BLUESKY_MAX_GRAPHEMES)
      return `${graphemes} characters with the incident link; Bluesky takes at most ${BLUESKY_MAX_GRAPHEMES}`;
    const bytes = byteLength(post);
    return bytes <= BLUESKY_MAX_BYTES
      ? null
      : `${bytes} bytes of UTF-8 with the incident link; Bluesky takes at most ${BLUESKY_MAX_BYTES}`;
  });

/** A facet for every whole http(s) link; a link cut short by fitting (ending in …) is left as text. */
export function linkFacets(text: string): LinkFacet[] {
  const facets: LinkFacet[] = [];
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    let uri = match[0];
    if (uri.endsWith('…')) continue;
    uri = uri.replace(/[.,;:!?'")\]]+$/, '');
    try {
      new URL(uri);
    } catch {
      continue;
    }
    const byteStart = byteLength(text.slice(0, match.index));
    facets.push({
      index: { byteStart, byteEnd: byteStart + byteLength(uri) },
      features: [{ $type: 'app.bsky.richtext.facet#link', uri }],
    });
  }
  return facets;
}

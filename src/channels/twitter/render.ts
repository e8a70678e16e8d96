import type twitterTextModule from 'twitter-text';
import type { Measure, MessageView, UpdateContext } from '../channel.js';
import { type Cut, fitTextWithCut, joinFitParts } from '../../render/fit.js';
import { cutNote } from '../../render/cut-note.js';
import type { TemplateFn } from '../../render/templates.js';
import { lazyRequire } from '../../lib/lazy-require.js';

/** X's own counter, loaded when a post is first measured (only X, Bluesky and Mastodon posts are). */
const twitterText = lazyRequire<typeof twitterTextModule>('twitter-text');

export const TWEET_MAX_WEIGHT = 280;

export interface Tweet {
  text: string;
  /** Where the message was cut to fit (null or absent when it fit whole). */
  cut?: Cut | null;
}

/** The preview part of a post: its text, and where it was cut. */
export const postPreview = (post: { text: string; cut?: Cut | null }) => [
  { label: 'Post', text: post.text, ...(post.cut ? { cut: cutNote(post.cut) } : {}) },
];

export interface PostTemplates {
  head: TemplateFn;
  body: TemplateFn;
}

/**
 * Weighted length as X counts it: URLs 23, CJK and emoji 2. Text far over the limit is reported over it without
 * parsing (parseTweet is slow on long text, and fitting measures many candidates); only links longer than
 * about 4,000 characters could be misjudged, and then the post comes out shorter, never invalid.
 */
const TOO_LONG = 4_000;
export const tweetWeight = (text: string) =>
  text.length > TOO_LONG ? Number.POSITIVE_INFINITY : twitterText().parseTweet(text).weightedLength;

/** A post's weighted length against X's limit, by the counter fitting uses. */
export function tweetMeasure(text: string): Measure {
  const weight = tweetWeight(text);
  return Number.isFinite(weight)
    ? { label: 'Weighted length', value: weight, limit: TWEET_MAX_WEIGHT, unit: 'weighted characters' }
    : {
        label: 'Weighted length',
        value: text.length,
        limit: TWEET_MAX_WEIGHT,
        unit: 'characters',
        detail: `more than ${TOO_LONG} characters: not weighed`,
      };
}

export const tweetView: MessageView<Tweet> = {
  preview: postPreview,
  measure: (tweet) => [tweetMeasure(tweet.text)],
  templates: { folder: 'twitter', measureText: (text) => [tweetMeasure(text)] },
};

/**
 * Status and title, then the message cut at a word to 280 weighted characters; or the commander's own social text
 * instead of all three. The incident link is always kept.
 */
export function renderTweet(ctx: UpdateContext, templates: PostTemplates): Tweet {
  const parts = ctx.update.socialText
    ? ownTextParts(ctx.update.socialText, ctx.incident.url, TOO_LONG)
    : {
        head: plainPostText(templates.head(ctx)),
        body: precut(plainPostText(templates.body(ctx)), TOO_LONG),
        tail: ctx.incident.url,
      };
  return fitTextWithCut(parts, TWEET_MAX_WEIGHT, tweetWeight);
}

/**
 * A post of the commander's own text (X, Mastodon, Bluesky): the text, cleaned like any post text and cut to what
 * the platform's measure could possibly take (`maxUnits`), then the incident link.
 */
export const ownTextParts = (text: string, link: string, maxUnits: number) => ({
  body: precut(plainPostText(text), maxUnits),
  tail: link,
});

/**
 * Why the commander's own text cannot go out as it is, with the link after it, or null. `overLimit` says what the
 * whole post is over on the platform; `platform` names it when nothing of the text is left to post.
 */
export function ownTextProblem(
  text: string,
  link: string,
  maxUnits: number,
  platform: string,
  overLimit: (post: string) => string | null,
): string | null {
  const parts = ownTextParts(text, link, maxUnits);
  if (!parts.body) return `nothing is left to post once the characters ${platform} refuses are removed`;
  return overLimit(joinFitParts(parts));
}

export const ownTweetProblem = (text: string, link: string) =>
  ownTextProblem(text, link, TOO_LONG, 'X', (post) => {
    const weight = tweetWeight(post);
    return weight <= TWEET_MAX_WEIGHT
      ? null
      : `${weight} weighted characters with the incident link; X takes at most ${TWEET_MAX_WEIGHT} (a link counts 23, CJK and emoji 2)`;
  });

// Characters X refuses in a post (twitter-text's invalid set) and unpaired surrogates.
const INVALID =
  /[\uFFFE\uFEFF\uFFFF\u202A-\u202E]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Commander text made safe for a public post: no characters the platform refuses, no script URLs, and
 * `@name` broken with a zero-width space so an update never mentions (notifies) an account by accident.
 */
export function plainPostText(text: string): string {
  return text
    .replace(INVALID, '')
    .replace(/\b(?:javascript|vbscript|data):/gi, '')
    .replace(/(^|[^\p{L}\p{N}_])([@＠])(?=[\p{L}\p{N}_])/gu, '$1$2\u200B')
    .trim();
}

/**
 * Drops what lies beyond `maxUnits` UTF-16 units when the measure reports anything that long as over the limit
 * anyway: fitting then segments a few thousand characters instead of a whole runaway message.
 */
export function precut(text: string, maxUnits: number): string {
  return text.length > maxUnits ? text.slice(0, maxUnits + 1).replace(/[\uD800-\uDBFF]$/, '') : text;
}

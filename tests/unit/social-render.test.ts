import fc from 'fast-check';
import twitterText from 'twitter-text';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../../src/channels/channel.js';
import { bluesky } from '../../src/channels/bluesky/index.js';
import { type BlueskyPost, BLUESKY_MAX_BYTES, BLUESKY_MAX_GRAPHEMES } from '../../src/channels/bluesky/render.js';
import { mastodon } from '../../src/channels/mastodon/index.js';
import { tootLength } from '../../src/channels/mastodon/render.js';
import { twitter } from '../../src/channels/twitter/index.js';
import { type Tweet, plainPostText } from '../../src/channels/twitter/render.js';
import { countGraphemes } from '../../src/render/fit.js';
import { sampleContext } from '../contract/channel-contract.js';
import { channelRuntime } from '../helpers/social-channels.js';

const runtime = channelRuntime();
const x = twitter({
  appKey: 'k',
  appSecret: 's',
  accessToken: 't',
  accessSecret: 'a',
  apiUrl: 'http://127.0.0.1:1/2/',
}).create(runtime) as Channel<Tweet>;
const bsky = bluesky({ identifier: 'a.bsky.social', appPassword: 'p', service: 'http://127.0.0.1:1' }).create(
  runtime,
) as Channel<BlueskyPost>;
const toot = mastodon({ url: 'http://127.0.0.1:1', token: 't' }).create(runtime) as Channel<{ text: string }>;

const piece = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.webUrl(),
  fc.constantFrom(
    '日本語のテキスト',
    '障害が発生しています',
    '🙂',
    '👨‍👩‍👧‍👦',
    '🇯🇵',
    'é',
    '\u202E',
    '\uFEFF',
    '@everyone',
    '**bold**',
    '[x](javascript:alert(1))',
    '<b>x</b>',
    '&amp;',
    '\n\n',
    '# Heading',
    '- item',
  ),
  fc.constant('word '.repeat(200)),
);
const message = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(' '));
const title = fc.oneof(fc.constant('Checkout errors'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }));
const contexts = fc.record({ message, title }).map(({ message, title }) => sampleContext({ message, title }));

describe('social rendering, fuzzed', () => {
  it('X: every rendered post is valid for twitter-text and keeps the incident link', () => {
    fc.assert(
      fc.property(contexts, (ctx) => {
        const { text } = x.render(ctx);
        const parsed = twitterText.parseTweet(text);
        expect(parsed.valid, JSON.stringify(text)).toBe(true);
        expect(parsed.weightedLength).toBeLessThanOrEqual(280);
        expect(text).toContain(ctx.incident.url);
      }),
      { numRuns: 150 },
    );
  });

  it('Bluesky: at most 300 graphemes and 3000 bytes, keeps the link, facets inside the text', () => {
    fc.assert(
      fc.property(contexts, (ctx) => {
        const { text, facets } = bsky.render(ctx);
        expect(countGraphemes(text)).toBeLessThanOrEqual(BLUESKY_MAX_GRAPHEMES);
        const bytes = Buffer.from(text);
        expect(bytes.length).toBeLessThanOrEqual(BLUESKY_MAX_BYTES);
        expect(text).toContain(ctx.incident.url);
        for (const f of facets)
          expect(bytes.subarray(f.index.byteStart, f.index.byteEnd).toString()).toBe(f.features[0]!.uri);
        expect(facets.some((f) => f.features[0]!.uri === ctx.incident.url)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('Mastodon: at most 500 characters as Mastodon counts them, keeps the link', () => {
    fc.assert(
      fc.property(contexts, (ctx) => {
        const { text } = toot.render(ctx);
        expect(tootLength(text)).toBeLessThanOrEqual(500);
        expect(text).toContain(ctx.incident.url);
      }),
      { numRuns: 100 },
    );
  });

  it('a social text the channel accepts is posted whole, with the link, and valid; one it refuses is only ever cut', () => {
    const social = fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(' ').slice(0, 1000));
    const valid: Record<string, (text: string) => boolean> = {
      twitter: (text) => twitterText.parseTweet(text).valid,
      mastodon: (text) => tootLength(text) <= 500,
      bluesky: (text) => countGraphemes(text) <= BLUESKY_MAX_GRAPHEMES && Buffer.byteLength(text) <= BLUESKY_MAX_BYTES,
    };
    let accepted = 0;
    fc.assert(
      fc.property(social, (socialText) => {
        const base = sampleContext();
        const ctx = { ...base, update: { ...base.update, socialText } };
        for (const channel of [x, toot, bsky] as Array<Channel<{ text: string }>>) {
          const { text } = channel.render(ctx);
          expect(valid[channel.kind]!(text), `${channel.kind}: ${JSON.stringify(text)}`).toBe(true);
          expect(text.endsWith(ctx.incident.url)).toBe(true);
          if (channel.checkSocialText!(socialText, ctx.incident.url) === null) {
            accepted++;
            expect(text).toBe(`${plainPostText(socialText)}\n\n${ctx.incident.url}`);
          }
        }
      }),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('render is pure: the same update renders the same text', () => {
    const ctx = sampleContext({ message: 'Same in, same out 🙂 https://example.com' });
    expect(x.render(ctx)).toEqual(x.render(ctx));
    expect(bsky.render(ctx)).toEqual(bsky.render(ctx));
  });
});

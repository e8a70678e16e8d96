import twitterText from 'twitter-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownBlueskyPostProblem } from '../../src/channels/bluesky/render.js';
import { ownTootProblem } from '../../src/channels/mastodon/render.js';
import { ownTweetProblem } from '../../src/channels/twitter/render.js';
import { type TestHerald, deliveredEverywhere, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { SOCIAL_KINDS, type SocialSetup, socialSetup } from '../helpers/social-channels.js';

// An update may carry the commander's own text for the social posts (like Statuspage's custom tweet): posted on X,
// Mastodon and Bluesky instead of the message, with the incident link after it, and checked to fit each platform
// when it is published (refused, never cut).
describe.each(['sqlite', 'postgres'] as const)(
  'socialText on %s: the commander’s own words on X, Mastodon and Bluesky',
  (database) => {
    let setups: SocialSetup[];
    let h: TestHerald;
    const other = recordingChannel('log');

    beforeAll(async () => {
      setups = await Promise.all(SOCIAL_KINDS.map((kind) => socialSetup(kind)));
      h = await startTestHerald({ database, channels: [...setups.map((s) => s.definition), other.definition] });
    });
    afterAll(async () => {
      await h?.close();
      await Promise.all((setups ?? []).map((s) => s.fake.close()));
    });

    const settled = (updateId: string) => deliveredEverywhere(h, updateId);
    const link = (incidentId: string) => `https://status.example.test/incidents/${incidentId}.html`;
    const counts = async () => {
      const db = h.herald.store.db;
      const n = async (table: 'incidents' | 'incident_updates' | 'deliveries') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return {
        incidents: await n('incidents'),
        updates: await n('incident_updates'),
        deliveries: await n('deliveries'),
      };
    };

    it('posts the text as it is with the link after it, on the social channels only; later updates without one use the message', async () => {
      const own =
        'Checkout is failing for some card payments 💳. We are on it — next update within 30 minutes. @everyone';
      const opened = await h.api('POST', '/api/v1/incidents', {
        title: 'Checkout errors',
        message: 'Card payments fail with **HTTP 502** for about 20% of customers.',
        impact: 'major',
        socialText: own,
      });
      expect(opened.status).toBe(201);
      expect(opened.body.update.socialText).toBe(own);
      await settled(opened.body.update.id);
      // An @mention is broken with a zero-width space on every platform, as in any post text.
      const expected = `${own.replace('@everyone', '@\u200Beveryone')}\n\n${link(opened.body.incident.id)}`;
      for (const s of setups) expect(s.fake.posts.map((p) => p.text)).toEqual([expected]);
      expect(other.sent[0]!.text).toContain('Card payments fail');
      expect(other.sent[0]!.text).not.toContain('We are on it');

      const later = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
        message: 'A bad deploy of the payment gateway.',
        status: 'identified',
      });
      await settled(later.body.update.id);
      for (const s of setups) {
        expect(s.fake.posts).toHaveLength(2);
        expect(s.fake.posts[1]!.text).toContain('A bad deploy of the payment gateway.');
      }
      const incident = await h.api('GET', `/api/v1/incidents/${opened.body.incident.id}`);
      expect(incident.body.updates.map((u: { socialText?: string }) => u.socialText ?? null)).toEqual([null, own]);
    });

    it('refuses a text too long for a targeted platform, naming the field and the platform, and stores nothing', async () => {
      const before = await counts();
      // 283 characters; with the blank line and this page's link (69 characters, whose .test domain X does not count
      // as a link) 354.
      const tooLongForX = `${'All card payments are failing at checkout. '.repeat(6)}Next update at 14:30 UTC.`;
      const refused = await h.api('POST', '/api/v1/incidents', {
        title: 'Payments down',
        message: 'Payments fail.',
        socialText: tooLongForX,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.details).toEqual([
        {
          field: 'socialText',
          problem: expect.stringMatching(
            /^twitter: 354 weighted characters with the incident link; X takes at most 280 .*; bluesky: 354 characters with the incident link; Bluesky takes at most 300$/,
          ),
        },
      ]);
      expect(await counts()).toEqual(before);

      // Mastodon takes 500: the same text goes out there when it is the only social channel targeted.
      const accepted = await h.api('POST', '/api/v1/incidents', {
        title: 'Payments down',
        message: 'Payments fail.',
        socialText: tooLongForX,
        channels: ['mastodon', 'log'],
      });
      expect(accepted.status).toBe(201);
      await settled(accepted.body.update.id);
      const mastodon = setups.find((s) => s.kind === 'mastodon')!;
      expect(mastodon.fake.posts.at(-1)!.text).toBe(`${tooLongForX}\n\n${link(accepted.body.incident.id)}`);

      const update = await h.api('POST', `/api/v1/incidents/${accepted.body.incident.id}/updates`, {
        message: 'Still failing.',
        socialText: 'x'.repeat(1_001),
      });
      expect(update.status).toBe(400);
      expect(update.body.details).toEqual([{ field: 'socialText', problem: 'must be at most 1000 characters' }]);
    });
  },
);

describe('socialText limits', () => {
  it('measures as each platform does: X 280 weighted (a link 23), Mastodon 500, Bluesky 300 graphemes and 3000 bytes', () => {
    const link = 'https://status.example.com/incidents/01jexampleincident00000000.html';
    expect(link).toHaveLength(68);
    // X: text + blank line + link (23) = 280 at most.
    expect(ownTweetProblem('a'.repeat(255), link)).toBeNull();
    expect(twitterText.parseTweet(`${'a'.repeat(255)}\n\n${link}`).weightedLength).toBe(280);
    expect(ownTweetProblem('a'.repeat(256), link)).toMatch(/^281 weighted characters/);
    expect(ownTweetProblem('界'.repeat(128), link)).toMatch(/^281 weighted/); // CJK counts 2
    expect(ownTweetProblem('\uFEFF\u202E', link)).toMatch(/nothing is left to post/);
    // Mastodon: the link is counted at its own length when longer than 23 (never over the limit): 430 + 2 + 68 = 500.
    expect(ownTootProblem('a'.repeat(430), link)).toBeNull();
    expect(ownTootProblem('a'.repeat(431), link)).toMatch(/^501 characters/);
    // Bluesky counts the link as written: 230 + 2 + 68 = 300; an emoji with modifiers is one grapheme of 15 bytes.
    expect(ownBlueskyPostProblem('a'.repeat(230), link)).toBeNull();
    expect(ownBlueskyPostProblem('a'.repeat(231), link)).toMatch(/^301 characters/);
    expect(ownBlueskyPostProblem('👩🏽‍🚒'.repeat(228), link)).toMatch(/^3490 bytes of UTF-8 .* 3000$/);
    expect(ownBlueskyPostProblem('👩🏽‍🚒'.repeat(100), link)).toBeNull();
  });
});

import type { Channel, UpdateContext } from '../../src/channels/channel.js';
import type { ChannelDefinition } from '../../src/config/define.js';
import { FRAME_LIMITS } from '../../src/console/frames.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { addUser, formPost, signIn } from './console-helpers.js';

/** A channel whose preview is an HTML part `times` the message's size (an email with a long message). */
function htmlChannel(name: string, times: number): ChannelDefinition<Channel<{ html: string }>> {
  return {
    name,
    kind: 'log',
    create: () => ({
      name,
      kind: 'log',
      capabilities: { threads: false, audience: false, concurrency: 1 },
      render: (ctx: UpdateContext) => ({ html: `<pre>${ctx.update.message.repeat(times)}</pre>` }),
      preview: (message) => [{ label: 'HTML', html: message.html }],
      measure: () => [],
      send: async () => ({ externalId: 'x' }),
    }),
  };
}

const frameUrls = (html: string) =>
  [...html.matchAll(/<iframe[^>]* src="(\/console\/frames\/[A-Za-z0-9_-]+)"/g)].map((m) => m[1]!);

describe('console previews: the publish limits, and a bound on what a session keeps in Redis', () => {
  let h: TestHerald;
  let viewer: { cookie: string; csrf: string };
  let commander: { cookie: string; csrf: string };

  beforeAll(async () => {
    h = await startTestHerald({ channels: [htmlChannel('bigmail', 12), htmlChannel('hugemail', 20)], workers: false });
    await addUser(h, 'vera', 'viewer');
    await addUser(h, 'carl', 'commander');
    viewer = await signIn(h, 'vera');
    commander = await signIn(h, 'carl');
  });
  afterAll(async () => h?.close());

  const preview = (who: { cookie: string; csrf: string }, message: string, extra: Record<string, string> = {}) =>
    formPost(h, '/console/preview', who.cookie, {
      _csrf: who.csrf,
      title: 'Checkout errors',
      message,
      status: 'investigating',
      impact: 'minor',
      channels: ['bigmail', 'hugemail'],
      ...extra,
    });

  /** Every key of this Herald's console in Redis, with its size. */
  async function consoleKeys() {
    const redis = h.herald.redis;
    const keys = await redis.keys(`${h.prefix}:console:*`);
    return Promise.all(
      keys.map(async (key) => {
        const type = await redis.type(key);
        const memory = Number(await redis.memory('USAGE', key));
        if (type !== 'hash')
          return { key, type, memory, fields: 0, bytes: type === 'string' ? await redis.strlen(key) : 0 };
        const fields = await redis.hkeys(key);
        const sizes = await Promise.all(fields.map((f) => redis.hstrlen(key, f)));
        return { key, type, memory, fields: fields.length, bytes: sizes.reduce((a, b) => a + b, 0) };
      }),
    );
  }

  it('refuses a 900 KB message as publishing would, naming the field, and keeps nothing of it', async () => {
    const before = await consoleKeys();
    const res = await preview(viewer, 'x'.repeat(900 * 1024));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('message: must be at most 20000 characters');
    expect(frameUrls(res.body)).toEqual([]);
    const longTitle = await preview(viewer, 'fine', { title: 't'.repeat(300) });
    expect(longTitle.statusCode).toBe(400);
    expect(longTitle.body).toContain('title: must be at most 255 characters');
    expect(await consoleKeys()).toEqual(before);
  });

  it('keeps a half-filled form previewable (an empty title is no reason to refuse a preview)', async () => {
    const res = await preview(viewer, 'short', { title: '' });
    expect(res.statusCode).toBe(200);
    expect(frameUrls(res.body).length).toBe(2); // both channels' HTML, small enough to keep
  });

  it('after a flood of previews from two sessions, no key is over the bound and each session stays within it', async () => {
    const big = 'm'.repeat(19_000); // bigmail's frame: 228 KB, under the frame limit; hugemail's: 380 KB, over
    const flood = [
      ...Array.from({ length: 40 }, (_, i) => preview(viewer, `${i} ${big}`)),
      ...Array.from({ length: 20 }, (_, i) => preview(commander, `${i} ${big}`)),
      ...Array.from({ length: 40 }, (_, i) => preview(viewer, `short ${i}`)),
      preview(viewer, 'x'.repeat(900 * 1024)),
      preview(commander, 'x'.repeat(900 * 1024)),
    ];
    const answers = await Promise.all(flood);
    expect(answers.filter((a) => a.statusCode === 400).length).toBe(2);
    expect(answers.filter((a) => a.statusCode === 200).length).toBe(100);
    // hugemail's frame is refused, and its preview says why.
    expect(answers[0]!.body).toMatch(/Could not render: its HTML is \d+ KB, over the 256 KB a preview may hold/);

    const keys = await consoleKeys();
    const frameHashes = keys.filter((k) => k.type === 'hash');
    expect(frameHashes.length).toBe(2); // one per session
    for (const k of keys) {
      if (k.type === 'string') expect(k.bytes).toBeLessThanOrEqual(FRAME_LIMITS.frameBytes);
      if (k.type === 'hash') {
        expect(k.fields).toBeLessThanOrEqual(FRAME_LIMITS.perSession);
        expect(k.bytes).toBeLessThanOrEqual(FRAME_LIMITS.sessionBytes);
        expect(k.memory).toBeLessThanOrEqual(FRAME_LIMITS.sessionBytes * 1.25);
        expect(await h.herald.redis.ttl(k.key)).toBeGreaterThan(0);
      }
      if (k.type === 'list') expect(await h.herald.redis.llen(k.key)).toBeLessThanOrEqual(FRAME_LIMITS.perSession);
    }
    const largest = Math.max(...keys.map((k) => k.memory));
    console.log(
      `largest console key after the flood: ${Math.round(largest / 1024)} KB (bound ${FRAME_LIMITS.sessionBytes / 1024} KB)`,
    );

    // The newest previews still show; the oldest were evicted.
    const newest = frameUrls((await preview(viewer, `latest ${big}`)).body);
    expect(newest.length).toBe(1);
    const shown = await h.app.inject({ method: 'GET', url: newest[0]!, headers: { cookie: viewer.cookie } });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('latest');
    const oldest = frameUrls(answers[0]!.body)[0]!;
    expect((await h.app.inject({ method: 'GET', url: oldest, headers: { cookie: viewer.cookie } })).statusCode).toBe(
      404,
    );
    // A frame is its own session's only.
    expect(
      (await h.app.inject({ method: 'GET', url: newest[0]!, headers: { cookie: commander.cookie } })).statusCode,
    ).toBe(404);
  });
});

import type { Channel, ChannelDefinition } from '../channel.js';
import { MastodonClient, type Visibility, repliesTo, sameTootText, toRef } from './client.js';
import { MASTODON_MAX_CHARS, type Toot, ownTootProblem, renderToot, tootView } from './render.js';

export interface MastodonChannelOptions {
  /** Channel name; default `mastodon`. */
  name?: string;
  /** The instance, e.g. `https://mastodon.social` (env MASTODON_URL). */
  url: string;
  /** Access token with write:statuses and read:accounts (env MASTODON_TOKEN). */
  token: string;
  /** Default `public`: followers and the public timelines see every update. */
  visibility?: Visibility;
  timeoutMs?: number;
  /** Default 300 per 3 hours (Mastodon's per-account limit on posting statuses). */
  rate?: { max: number; perMs: number };
}

/** Mastodon: one thread per incident (each update replies to the previous one), 500 characters, links count 23. */
export function mastodon(options: MastodonChannelOptions): ChannelDefinition<Channel<Toot>> {
  const name = options.name ?? 'mastodon';
  const visibility = options.visibility ?? 'public';
  return {
    name,
    kind: 'mastodon',
    create(runtime) {
      const templates = {
        head: runtime.templates.compile('mastodon', 'head.txt.hbs'),
        body: runtime.templates.compile('mastodon', 'body.txt.hbs'),
      };
      const client = new MastodonClient(options.url, options.token, options.timeoutMs ?? 15_000);
      return {
        name,
        kind: 'mastodon',
        ...tootView,
        capabilities: {
          maxLength: MASTODON_MAX_CHARS, // graphemes, every link counted as 23
          threads: true,
          audience: false,
          rate: options.rate ?? { max: 300, perMs: 3 * 3600_000 },
          concurrency: 2,
        },
        render: (ctx) => renderToot(ctx, templates),
        checkSocialText: ownTootProblem,
        async reconcile(message, target) {
          const recent = await client.recentStatuses(20, target.signal);
          const found = recent.find((s) => sameTootText(s, message.text) && repliesTo(s, target.thread?.previous));
          return found ? toRef(found) : null;
        },
        // The Idempotency-Key makes Mastodon answer a repeat (within an hour) with the status it already made; the
        // engine's look-up after an unknown outcome covers a retry later than that.
        send: (message, target) =>
          client.post(message.text, {
            inReplyTo: target.thread?.previous.externalId,
            visibility,
            idempotencyKey: target.idempotencyKey,
            signal: target.signal,
          }),
      };
    },
  };
}

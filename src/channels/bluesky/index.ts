import type { Channel, ChannelDefinition } from '../channel.js';
import { BlueskyClient, toRef } from './client.js';
import {
  BLUESKY_MAX_GRAPHEMES,
  type BlueskyPost,
  blueskyView,
  ownBlueskyPostProblem,
  renderBlueskyPost,
} from './render.js';

export interface BlueskyChannelOptions {
  /** Channel name; default `bluesky`. */
  name?: string;
  /** The account's PDS or entryway; default `https://bsky.social` (env BLUESKY_SERVICE). */
  service?: string;
  /** Handle or DID (env BLUESKY_IDENTIFIER). */
  identifier: string;
  /** An app password from Settings → App passwords (env BLUESKY_APP_PASSWORD). */
  appPassword: string;
  timeoutMs?: number;
  /** Default 1,500 posts per hour (a create costs 3 of the 5,000 points an account has per hour). */
  rate?: { max: number; perMs: number };
}

/** Bluesky: one thread per incident (reply refs root = first post, parent = previous), 300 graphemes, link facets. */
export function bluesky(options: BlueskyChannelOptions): ChannelDefinition<Channel<BlueskyPost>> {
  const name = options.name ?? 'bluesky';
  return {
    name,
    kind: 'bluesky',
    create(runtime) {
      const templates = {
        head: runtime.templates.compile('bluesky', 'head.txt.hbs'),
        body: runtime.templates.compile('bluesky', 'body.txt.hbs'),
      };
      const client = new BlueskyClient(
        {
          service: options.service ?? 'https://bsky.social',
          identifier: options.identifier,
          appPassword: options.appPassword,
        },
        options.timeoutMs ?? 15_000,
      );
      // Bluesky has no idempotency key: after an attempt whose outcome is unknown the engine looks here first.
      const reconcile: Channel<BlueskyPost>['reconcile'] = async (message, target) => {
        const parent = target.thread?.previous.externalId;
        const recent = await client.recentPosts(25, target.signal);
        const found = recent.find((r) => {
          const reply = r.value.reply as { parent?: { uri?: string } } | undefined;
          return r.value.text === message.text && reply?.parent?.uri === parent;
        });
        return found ? toRef(found) : null;
      };
      return {
        name,
        kind: 'bluesky',
        ...blueskyView,
        capabilities: {
          maxLength: BLUESKY_MAX_GRAPHEMES, // graphemes (and at most 3000 UTF-8 bytes)
          threads: true,
          audience: false,
          rate: options.rate ?? { max: 1500, perMs: 3600_000 },
          concurrency: 2,
        },
        render: (ctx) => renderBlueskyPost(ctx, templates),
        checkSocialText: ownBlueskyPostProblem,
        reconcile,
        send: (message, target) => client.post(message, target.thread, target.signal),
      };
    },
  };
}

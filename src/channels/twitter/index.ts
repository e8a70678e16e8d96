import type { Channel, ChannelCapabilities, ChannelDefinition } from '../channel.js';
import { TwitterClient, type TwitterCredentials, repliesTo, sameTweetText, toRef } from './client.js';
import { TWEET_MAX_WEIGHT, type Tweet, ownTweetProblem, renderTweet, tweetView } from './render.js';

export interface TwitterChannelOptions extends TwitterCredentials {
  /** Channel name; default `twitter`. */
  name?: string;
  /** X API v2 base URL; default `https://api.x.com/2/`. Any `http://127.0.0.1:PORT/2/` works for a local fake. */
  apiUrl?: string;
  /** Per-request timeout; default 15 s. */
  timeoutMs?: number;
  /** Posts the queue lets through; default 100 per 15 minutes (X's per-user limit on POST /2/tweets). */
  rate?: { max: number; perMs: number };
}

export const TWITTER_DEFAULT_API_URL = 'https://api.x.com/2/';

/**
 * Twitter/X: an incident's first update is a new post, each later one replies to the previous post.
 * Text is fitted to 280 weighted characters as twitter-text counts them; an update's `socialText`, when given, is
 * posted instead (checked to fit at publish time, so it is never cut).
 */
export function twitter(options: TwitterChannelOptions): ChannelDefinition<Channel<Tweet>> {
  const name = options.name ?? 'twitter';
  const capabilities: ChannelCapabilities = {
    maxLength: TWEET_MAX_WEIGHT, // weighted characters (twitter-text): URLs 23, CJK/emoji 2
    threads: true,
    audience: false,
    rate: options.rate ?? { max: 100, perMs: 15 * 60_000 },
    concurrency: 2,
  };
  return {
    name,
    kind: 'twitter',
    create(runtime) {
      const templates = {
        head: runtime.templates.compile('twitter', 'head.txt.hbs'),
        body: runtime.templates.compile('twitter', 'body.txt.hbs'),
      };
      const client = new TwitterClient(options, options.apiUrl ?? TWITTER_DEFAULT_API_URL, options.timeoutMs ?? 15_000);

      // Looked up by the engine before posting again after an attempt whose outcome is unknown. On X's Free access
      // level the account's timeline is refused (403 client-not-enrolled): the engine then posts, and a post that
      // had landed is refused as duplicate content (DuplicatePostError), which the engine records as delivered.
      const reconcile: Channel<Tweet>['reconcile'] = async (message, target) => {
        const recent = await client.recentPosts(10);
        const found = recent.find((t) => sameTweetText(t, message.text) && repliesTo(t, target.thread?.previous));
        return found ? toRef(found.id) : null;
      };

      return {
        name,
        kind: 'twitter',
        ...tweetView,
        capabilities,
        render: (ctx) => renderTweet(ctx, templates),
        checkSocialText: ownTweetProblem,
        reconcile,
        send: (message, target) => client.post(message.text, target.thread?.previous.externalId),
      };
    },
  };
}

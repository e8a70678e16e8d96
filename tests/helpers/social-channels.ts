import type { Channel } from '../../src/channels/channel.js';
import { bluesky } from '../../src/channels/bluesky/index.js';
import { mastodon } from '../../src/channels/mastodon/index.js';
import { twitter } from '../../src/channels/twitter/index.js';
import type { ChannelDefinition, ChannelRuntime } from '../../src/config/define.js';
import { Templates } from '../../src/render/templates.js';
import { createLogger } from '../../src/runtime/logger.js';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import type { Store } from '../../src/store/store.js';
import { BlueskyFake } from '../fakes/bluesky-fake.js';
import { MastodonFake } from '../fakes/mastodon-fake.js';
import { TwitterFake } from '../fakes/twitter-fake.js';
import type { FakeControls } from './social-fake-server.js';

export type SocialKind = 'twitter' | 'mastodon' | 'bluesky';
export const SOCIAL_KINDS: SocialKind[] = ['twitter', 'mastodon', 'bluesky'];

export const TWITTER_SECRETS = { appSecret: 'fake-app-secret-5f1c', accessSecret: 'fake-access-secret-9a2e' };

/** What a channel gets from Herald, for building one outside a running Herald (the channels use none of the store). */
export function channelRuntime(): ChannelRuntime {
  return {
    store: {} as Store,
    templates: new Templates(TEMPLATES_DIR),
    logger: createLogger({ level: 'silent' }),
    publicUrl: 'https://status.example.test',
    appUrl: 'https://status.example.test',
    siteName: 'Example Status',
    secret: 'test-secret',
    dataDir: '/tmp',
  };
}

export interface SocialSetup {
  kind: SocialKind;
  fake: FakeControls & { close(): Promise<void> };
  definition: ChannelDefinition<Channel<any>>;
  /** The channel's env variables as channels.config.ts reads them. */
  env: Record<string, string>;
  secrets: string[];
}

/** Starts the kind's fake and a channel definition pointing at it. */
export async function socialSetup(
  kind: SocialKind,
  options: { timeoutMs?: number; rate?: { max: number; perMs: number } } = {},
): Promise<SocialSetup> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  if (kind === 'twitter') {
    const fake = await new TwitterFake().start();
    const creds = { appKey: fake.appKey, accessToken: fake.accessToken, ...TWITTER_SECRETS };
    return {
      kind,
      fake,
      definition: twitter({ ...creds, apiUrl: fake.apiUrl, timeoutMs, rate: options.rate }),
      env: {
        TWITTER_API_URL: fake.apiUrl,
        TWITTER_APP_KEY: creds.appKey,
        TWITTER_APP_SECRET: creds.appSecret,
        TWITTER_ACCESS_TOKEN: creds.accessToken,
        TWITTER_ACCESS_SECRET: creds.accessSecret,
      },
      secrets: [creds.appSecret, creds.accessSecret, creds.accessToken],
    };
  }
  if (kind === 'mastodon') {
    const fake = await new MastodonFake({ token: 'fake-mastodon-token-77c1' }).start();
    return {
      kind,
      fake,
      definition: mastodon({ url: fake.url, token: fake.token, timeoutMs, rate: options.rate }),
      env: { MASTODON_URL: fake.url, MASTODON_TOKEN: fake.token },
      secrets: [fake.token],
    };
  }
  const fake = await new BlueskyFake({ password: 'fake-pass-word-3d9b' }).start();
  return {
    kind,
    fake,
    definition: bluesky({
      service: fake.url,
      identifier: fake.identifier,
      appPassword: fake.password,
      timeoutMs,
      rate: options.rate,
    }),
    env: { BLUESKY_SERVICE: fake.url, BLUESKY_IDENTIFIER: fake.identifier, BLUESKY_APP_PASSWORD: fake.password },
    secrets: [fake.password],
  };
}

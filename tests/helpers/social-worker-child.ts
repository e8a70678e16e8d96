// A Herald worker process for crash tests: `node --import tsx tests/helpers/social-worker-child.ts`.
// Reads the same environment as `herald worker` (DATABASE_URL, REDIS_URL, HERALD_QUEUE_PREFIX,
// HERALD_LOCK_DURATION_MS, …) and the social channels' variables; prints "ready" once its workers listen.
import { bluesky } from '../../src/channels/bluesky/index.js';
import { mastodon } from '../../src/channels/mastodon/index.js';
import { twitter } from '../../src/channels/twitter/index.js';
import type { ChannelDefinition } from '../../src/config/define.js';
import { readEnv } from '../../src/config/env.js';
import { startHerald } from '../../src/app/herald.js';
import { createLogger } from '../../src/runtime/logger.js';

const vars = process.env;
const env = readEnv(vars);
const channels: ChannelDefinition[] = [];
if (vars.TWITTER_APP_KEY) {
  channels.push(
    twitter({
      appKey: vars.TWITTER_APP_KEY,
      appSecret: vars.TWITTER_APP_SECRET!,
      accessToken: vars.TWITTER_ACCESS_TOKEN!,
      accessSecret: vars.TWITTER_ACCESS_SECRET!,
      apiUrl: vars.TWITTER_API_URL,
    }),
  );
}
if (vars.MASTODON_URL) channels.push(mastodon({ url: vars.MASTODON_URL, token: vars.MASTODON_TOKEN! }));
if (vars.BLUESKY_IDENTIFIER)
  channels.push(
    bluesky({
      service: vars.BLUESKY_SERVICE,
      identifier: vars.BLUESKY_IDENTIFIER,
      appPassword: vars.BLUESKY_APP_PASSWORD!,
    }),
  );

const herald = await startHerald({
  env,
  config: { channels },
  logger: createLogger({ level: vars.TEST_LOG_LEVEL ?? 'silent' }),
  workers: true,
  sweeper: false,
});
await herald.workers!.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void herald.close().then(() => process.exit(0));
});

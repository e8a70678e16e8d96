// Channels config for the chaos, model and scale-out suites: `node bin/herald.mjs worker` loads it through
// HERALD_CONFIG, and the test's API-side Herald builds the same set from the same variables.
// Each channel is on only when its variables are set (like the shipped channels.config.ts).
import { email } from '../../src/channels/email/index.js';
import { mastodon } from '../../src/channels/mastodon/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { twitter } from '../../src/channels/twitter/index.js';
import { defineConfig } from '../../src/config/define.js';
import { statuspage } from '../../src/channels/statuspage/index.js';

// The fakes answer at once; the providers' real limits would only add waiting.
const FAST = { max: 1000, perMs: 1000 };

export default defineConfig((env) => {
  const timeoutMs = env.CHAOS_SOCIAL_TIMEOUT_MS ? Number(env.CHAOS_SOCIAL_TIMEOUT_MS) : undefined;
  return {
    channels: [
      env.SMTP_URL
        ? email({ smtpUrl: env.SMTP_URL, from: env.EMAIL_FROM ?? 'Status <status@example.test>' })
        : undefined,
      env.MASTODON_URL
        ? mastodon({ url: env.MASTODON_URL, token: env.MASTODON_TOKEN!, timeoutMs, rate: FAST })
        : undefined,
      env.TWITTER_API_URL
        ? twitter({
            apiUrl: env.TWITTER_API_URL,
            appKey: env.TWITTER_APP_KEY!,
            appSecret: env.TWITTER_APP_SECRET!,
            accessToken: env.TWITTER_ACCESS_TOKEN!,
            accessSecret: env.TWITTER_ACCESS_SECRET!,
            timeoutMs,
            rate: FAST,
          })
        : undefined,
      // In HERALD_DATA_DIR/site, shared by the API side and every worker process.
      env.CHAOS_STATUS_PAGE === '1' ? statuspage() : undefined,
      env.SLACK_TOKEN
        ? slack({
            token: env.SLACK_TOKEN,
            channel: env.SLACK_CHANNEL!,
            apiUrl: env.SLACK_API_URL,
            timeoutMs,
            rate: FAST,
          })
        : undefined,
    ],
  };
});

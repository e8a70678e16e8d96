import { defineConfig } from './src/config/define.js';
import * as channel from './src/channels/registry.js';

// Herald's channels. Each is switched on by its environment variables (see the README); the names
// here are the names in `channels` lists, deliveries and metrics. A second target of one kind gets a
// name of its own, e.g. channel.slack({ name: 'slack-community', ... }).
export default defineConfig((env) => ({
  // The status widget (embed.html) may be framed by any site; to allow only yours:
  // site: { name: …, embedAncestors: ['https://www.example.com'] } (docs/statuspage.md, "Status widget").
  site: { name: env.HERALD_SITE_NAME ?? 'Status' },
  channels: [
    // The public status page (static site + Statuspage-compatible JSON + feeds), written to STATUS_PAGE_DIR
    // and served by `herald serve`. Off-site copies keep it up when your own infrastructure is down:
    env.HERALD_STATUS_PAGE !== '0' &&
      channel.statuspage({
        dir: env.STATUS_PAGE_DIR,
        // Off-site copies, each on from its variables: a directory any web server serves, and an S3-compatible
        // bucket (AWS, MinIO, R2, B2 …; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the AWS chain).
        targets: [
          ...(env.STATUS_PAGE_MIRROR_DIR
            ? [{ type: 'directory' as const, name: 'mirror', path: env.STATUS_PAGE_MIRROR_DIR }]
            : []),
          ...(env.STATUS_PAGE_S3_BUCKET
            ? [
                {
                  type: 's3' as const,
                  name: 's3',
                  bucket: env.STATUS_PAGE_S3_BUCKET,
                  region: env.STATUS_PAGE_S3_REGION || undefined,
                  endpoint: env.STATUS_PAGE_S3_ENDPOINT || undefined,
                  // S3-compatible stores at their own endpoint usually want path-style addresses.
                  forcePathStyle: Boolean(env.STATUS_PAGE_S3_ENDPOINT),
                  credentials:
                    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
                      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
                      : undefined,
                },
              ]
            : []),
        ],
        // A CDN in front of a target: purge: [{ type: 'cloudfront', distributionId: 'E2…' }] on that target.
        // Other ways to follow, listed on subscribe.html: follow: [{ label: 'Mastodon', url: 'https://…' }],
        // A group that stands for another status page, e.g. your cloud provider's:
        // externalGroups: [{ name: 'Cloud provider', url: 'https://status.example-cloud.com', summaryUrl: 'https://status.example-cloud.com/api/v2/summary.json' }],
      }),
    // Social threads: one thread per incident on each account (docs/channels-social.md).
    env.TWITTER_APP_KEY &&
      env.TWITTER_APP_SECRET &&
      env.TWITTER_ACCESS_TOKEN &&
      env.TWITTER_ACCESS_SECRET &&
      channel.twitter({
        appKey: env.TWITTER_APP_KEY,
        appSecret: env.TWITTER_APP_SECRET,
        accessToken: env.TWITTER_ACCESS_TOKEN,
        accessSecret: env.TWITTER_ACCESS_SECRET,
        apiUrl: env.TWITTER_API_URL || undefined,
      }),
    env.MASTODON_URL && env.MASTODON_TOKEN && channel.mastodon({ url: env.MASTODON_URL, token: env.MASTODON_TOKEN }),
    env.BLUESKY_IDENTIFIER &&
      env.BLUESKY_APP_PASSWORD &&
      channel.bluesky({
        service: env.BLUESKY_SERVICE || undefined,
        identifier: env.BLUESKY_IDENTIFIER,
        appPassword: env.BLUESKY_APP_PASSWORD,
      }),
    // Chat and forum: one message/topic per incident, kept current (docs/channels-chat.md). A second workspace:
    // channel.slack({ name: 'slack-community', token: env.SLACK_COMMUNITY_TOKEN!, channel: env.SLACK_COMMUNITY_CHANNEL! }).
    env.SLACK_TOKEN &&
      env.SLACK_CHANNEL &&
      channel.slack({ token: env.SLACK_TOKEN, channel: env.SLACK_CHANNEL, apiUrl: env.SLACK_API_URL || undefined }),
    env.TEAMS_WEBHOOK_URL && channel.teams({ webhookUrl: env.TEAMS_WEBHOOK_URL }),
    env.DISCORD_WEBHOOK_URL &&
      channel.discord({ webhookUrl: env.DISCORD_WEBHOOK_URL, forum: env.DISCORD_FORUM === '1' }),
    env.MATTERMOST_WEBHOOK_URL && channel.mattermost({ webhookUrl: env.MATTERMOST_WEBHOOK_URL }),
    env.DISCOURSE_URL &&
      env.DISCOURSE_API_KEY &&
      env.DISCOURSE_USERNAME &&
      env.DISCOURSE_CATEGORY_ID &&
      channel.discourse({
        url: env.DISCOURSE_URL,
        apiKey: env.DISCOURSE_API_KEY,
        username: env.DISCOURSE_USERNAME,
        categoryId: Number(env.DISCOURSE_CATEGORY_ID),
      }),
    // Subscribers (docs/subscribers.md): email, SMS and signed webhooks, each to every confirmed subscriber whose
    // components match. EMAIL_UNSUBSCRIBE_MAILTO adds a mailto to List-Unsubscribe; DKIM_* sign the mail.
    env.SMTP_URL &&
      env.EMAIL_FROM &&
      channel.email({
        smtpUrl: env.SMTP_URL,
        from: env.EMAIL_FROM,
        unsubscribeMailto: env.EMAIL_UNSUBSCRIBE_MAILTO || undefined,
        dkim:
          env.DKIM_DOMAIN && env.DKIM_SELECTOR && env.DKIM_PRIVATE_KEY
            ? { domainName: env.DKIM_DOMAIN, keySelector: env.DKIM_SELECTOR, privateKey: env.DKIM_PRIVATE_KEY }
            : undefined,
        rate: env.EMAIL_RATE_PER_SECOND ? { max: Number(env.EMAIL_RATE_PER_SECOND), perMs: 1000 } : undefined,
      }),
    env.TWILIO_ACCOUNT_SID &&
      env.TWILIO_AUTH_TOKEN &&
      env.TWILIO_FROM &&
      channel.sms({
        accountSid: env.TWILIO_ACCOUNT_SID,
        authToken: env.TWILIO_AUTH_TOKEN,
        from: env.TWILIO_FROM,
        apiUrl: env.TWILIO_API_URL || undefined,
      }),
    channel.webhooks({ allowPrivate: env.HERALD_ALLOW_PRIVATE_WEBHOOKS === '1' }),
    // Development: every update as text in ./data/log-channel.jsonl. Remove for production.
    env.HERALD_LOG_CHANNEL !== '0' && channel.log({ file: 'log-channel.jsonl' }),
  ],
}));

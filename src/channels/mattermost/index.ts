import type { Channel, ChannelDefinition } from '../channel.js';
import { type HttpAnswer, callWebhook, hostOf } from '../http.js';
import {
  MATTERMOST_TEXT_MAX,
  type MattermostMessage,
  mattermostPayload,
  mattermostView,
  renderMattermost,
} from './render.js';

export interface MattermostChannelOptions {
  name?: string;
  /** Incoming webhook URL (https://chat.example.com/hooks/xxx). Secret. */
  webhookUrl: string;
  /** Shown as the poster, when the server allows webhooks to override it. */
  username?: string;
  rate?: { max: number; perMs: number };
  timeoutMs?: number;
}

/** Mattermost's throttle answers 429 with X-Ratelimit-Reset: seconds until the window resets. */
const mattermostReset = (answer: HttpAnswer) => {
  const seconds = Number(answer.headers.get('x-ratelimit-reset'));
  return Number.isFinite(seconds) && seconds > 0 && !answer.headers.get('retry-after')
    ? Date.now() + seconds * 1000
    : undefined;
};

export function mattermost(options: MattermostChannelOptions): ChannelDefinition<Channel<MattermostMessage>> {
  const name = options.name ?? 'mattermost';
  const what = `Mattermost webhook at ${hostOf(options.webhookUrl)}`;
  return {
    name,
    kind: 'mattermost',
    create: () => ({
      name,
      kind: 'mattermost',
      // Incoming webhooks can neither reply in a thread nor edit: each update is its own post.
      capabilities: {
        threads: false,
        audience: false,
        maxLength: MATTERMOST_TEXT_MAX,
        rate: options.rate ?? { max: 10, perMs: 1_000 },
        concurrency: 1,
      },
      render: renderMattermost,
      ...mattermostView,
      async send(message, target) {
        await callWebhook({
          url: options.webhookUrl,
          body: { ...mattermostPayload(message), ...(options.username ? { username: options.username } : {}) },
          signal: target.signal,
          timeoutMs: options.timeoutMs,
          what,
          resetAt: mattermostReset,
          fix: {
            rejected:
              'if it says "Invalid webhook", the hook was deleted or MATTERMOST_WEBHOOK_URL is wrong: create an incoming webhook and set it again',
            gone: 'create an incoming webhook in Mattermost (Integrations → Incoming Webhooks) and set MATTERMOST_WEBHOOK_URL',
          },
        });
        return { externalId: target.idempotencyKey };
      },
    }),
  };
}

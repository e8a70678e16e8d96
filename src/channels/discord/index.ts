import type { Channel, SendTarget, SentRef, ChannelDefinition } from '../channel.js';
import { RetryableError } from '../errors.js';
import { type HttpAnswer, callWebhook, hostOf } from '../http.js';
import {
  DISCORD_DESCRIPTION_MAX,
  type DiscordMessage,
  type DiscordPayload,
  discordView,
  renderDiscord,
} from './render.js';

export interface DiscordChannelOptions {
  name?: string;
  /** https://discord.com/api/webhooks/{id}/{token}. Secret (the token is in the path). */
  webhookUrl: string;
  /**
   * The webhook belongs to a forum channel: each incident opens a forum post (thread) and its updates go
   * in it. In a text channel webhooks cannot thread: updates are messages of their own.
   */
  forum?: boolean;
  username?: string;
  rate?: { max: number; perMs: number };
  timeoutMs?: number;
}

/** Discord's 429: `retry_after` (seconds, fractional) in the JSON body, or X-RateLimit-Reset-After. */
const discordReset = (answer: HttpAnswer) => {
  const body = answer.json as { retry_after?: unknown } | undefined;
  const seconds =
    typeof body?.retry_after === 'number'
      ? body.retry_after
      : Number(answer.headers.get('x-ratelimit-reset-after') ?? Number.NaN);
  return Number.isFinite(seconds) ? Date.now() + seconds * 1000 : undefined;
};

interface DiscordApiMessage {
  id: string;
  channel_id: string;
}

export function discord(options: DiscordChannelOptions): ChannelDefinition<Channel<DiscordMessage>> {
  const name = options.name ?? 'discord';
  const what = `Discord webhook at ${hostOf(options.webhookUrl)}`;
  const base = options.webhookUrl.replace(/\/+$/, '').replace(/\?.*$/, '');
  const fix = {
    auth: 'the webhook token is wrong: copy the webhook URL again (Channel settings → Integrations → Webhooks) into DISCORD_WEBHOOK_URL',
    gone: 'if it says "Unknown Webhook", the webhook was deleted: create a new one and set DISCORD_WEBHOOK_URL',
  };
  return {
    name,
    kind: 'discord',
    create(runtime) {
      const log = runtime.logger.child({ channel: name });
      const url = (path: string, query: Record<string, string | undefined>) => {
        const u = new URL(base + path);
        for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
        return u.toString();
      };
      const withUser = (p: DiscordPayload) => (options.username ? { ...p, username: options.username } : p);

      const execute = async (payload: object, target: SendTarget, threadId?: string): Promise<DiscordApiMessage> => {
        const answer = await callWebhook({
          url: url('', { wait: 'true', thread_id: threadId }),
          body: payload,
          signal: target.signal,
          timeoutMs: options.timeoutMs,
          what,
          fix,
          resetAt: discordReset,
        });
        const message = answer.json as Partial<DiscordApiMessage> | undefined;
        if (!message?.id)
          throw new RetryableError(`${what} answered without a message id (is ?wait=true being stripped by a proxy?)`);
        return message as DiscordApiMessage;
      };
      const ref = (m: DiscordApiMessage, threadId?: string): SentRef => ({
        externalId: m.id,
        meta: { channelId: m.channel_id, ...(threadId ? { threadId } : {}) },
      });

      return {
        name,
        kind: 'discord',
        // threads: the first message is needed for the edit even where Discord cannot thread (text channels).
        capabilities: {
          threads: true,
          audience: false,
          maxLength: DISCORD_DESCRIPTION_MAX,
          rate: options.rate ?? { max: 5, perMs: 2_000 },
          concurrency: 1,
        },
        render: renderDiscord,
        ...discordView,
        async send(message, target) {
          if (!target.thread) {
            const first = await execute(
              { ...withUser(message.summary), ...(options.forum ? { thread_name: message.threadName } : {}) },
              target,
            );
            // A forum post's thread has the id of its starter message's channel.
            return ref(first, options.forum ? first.channel_id : undefined);
          }
          const threadId = target.thread.first.meta?.threadId ?? undefined;
          return ref(await execute(withUser(message.update), target, threadId), threadId);
        },
        async editFirstPost(message, first, target) {
          try {
            await callWebhook({
              method: 'PATCH',
              url: url(`/messages/${encodeURIComponent(first.externalId)}`, {
                thread_id: first.meta?.threadId ?? undefined,
              }),
              body: { embeds: message.summary.embeds, allowed_mentions: message.summary.allowed_mentions },
              signal: target.signal,
              timeoutMs: options.timeoutMs,
              what,
              fix,
              resetAt: discordReset,
            });
          } catch (error) {
            if (!/Unknown Message/i.test((error as Error).message)) throw error;
            log.warn(
              { messageId: first.externalId },
              'the incident’s first Discord message is gone; the update was posted anyway',
            );
          }
        },
        // No reconcile: a webhook cannot list its messages, so a post whose answer was lost cannot be found
        // again. After a crash mid-send Discord may show that one update twice.
      };
    },
  };
}

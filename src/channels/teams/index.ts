import type { Channel, ChannelDefinition } from '../channel.js';
import { callWebhook, hostOf } from '../http.js';
import { TEAMS_PAYLOAD_MAX, type TeamsMessage, renderTeams, teamsPayload, teamsView } from './render.js';

export interface TeamsChannelOptions {
  /** Default `teams`; a second Teams target gets its own name. */
  name?: string;
  /** The Workflows ("Post to a channel when a webhook request is received") or incoming-webhook URL. Secret. */
  webhookUrl: string;
  rate?: { max: number; perMs: number };
  timeoutMs?: number;
}

export function teams(options: TeamsChannelOptions): ChannelDefinition<Channel<TeamsMessage>> {
  const name = options.name ?? 'teams';
  const what = `Microsoft Teams webhook at ${hostOf(options.webhookUrl)}`;
  return {
    name,
    kind: 'teams',
    create: () => ({
      name,
      kind: 'teams',
      // Teams webhooks cannot reply or edit, so every update is a card of its own.
      capabilities: {
        threads: false,
        audience: false,
        maxLength: TEAMS_PAYLOAD_MAX,
        rate: options.rate ?? { max: 4, perMs: 1_000 },
        concurrency: 1,
      },
      render: renderTeams,
      ...teamsView,
      async send(message, target) {
        await callWebhook({
          url: options.webhookUrl,
          body: teamsPayload(message),
          signal: target.signal,
          timeoutMs: options.timeoutMs,
          what,
          fix: {
            auth: 'the Workflow refused the call: check that its trigger allows "Anyone" or that TEAMS_WEBHOOK_URL includes its sig= parameter',
            gone: 'the webhook or Workflow was removed: create a new one for the channel and set TEAMS_WEBHOOK_URL',
          },
        });
        // Webhooks answer without an id: the delivery id stands in for one.
        return { externalId: target.idempotencyKey };
      },
    }),
  };
}

import type { Channel, SendTarget, SentRef, UpdateContext } from '../../src/channels/channel.js';
import type { ChannelDefinition } from '../../src/config/define.js';

export interface RecordedSend {
  text: string;
  target: Omit<SendTarget, 'signal'>;
  at: number;
}

/**
 * An in-memory channel for pipeline tests. `behave` decides each send: resolve, throw a typed error, or wait.
 * Records only sends that completed, like a provider that accepted the message.
 */
export function recordingChannel(
  name = 'recorder',
  options: {
    threads?: boolean;
    attempts?: number;
    rate?: { max: number; perMs: number };
    behave?: (attempt: number, text: string, target: SendTarget) => Promise<SentRef | void> | SentRef | void;
  } = {},
) {
  const sent: RecordedSend[] = [];
  let calls = 0;
  const definition: ChannelDefinition<Channel<{ text: string }>> = {
    name,
    kind: 'log',
    create: () => ({
      name,
      kind: 'log',
      capabilities: {
        threads: options.threads ?? false,
        audience: false,
        attempts: options.attempts ?? 3,
        rate: options.rate,
        concurrency: 4,
      },
      render: (ctx: UpdateContext) => ({
        text: `[${ctx.update.status}] ${ctx.incident.title}: ${ctx.update.message} ${ctx.incident.url}`,
      }),
      preview: (message) => [{ label: 'Message', text: message.text }],
      measure: () => [],
      async send(message, target) {
        calls++;
        const ref = (await options.behave?.(calls, message.text, target)) ?? undefined;
        const { signal: _signal, ...rest } = target;
        sent.push({ text: message.text, target: rest, at: Date.now() });
        return ref ?? { externalId: `post-${sent.length}`, externalUrl: `https://example.test/${name}/${sent.length}` };
      },
    }),
  };
  return { definition, sent, calls: () => calls };
}

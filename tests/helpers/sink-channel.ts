import type { Channel } from '../../src/channels/channel.js';
import { RetryableError, errorForHttpStatus } from '../../src/channels/errors.js';
import type { ChannelDefinition } from '../../src/config/define.js';

/** A channel that POSTs each update to an HttpSink, with the delivery id as Idempotency-Key. */
export function sinkChannel(url: string, name = 'sink'): ChannelDefinition<Channel<{ text: string }>> {
  return {
    name,
    kind: 'log',
    create: () => ({
      name,
      kind: 'log',
      capabilities: { threads: false, audience: false, attempts: 5 },
      render: (ctx) => ({ text: `${ctx.incident.title}: ${ctx.update.message} ${ctx.incident.url}` }),
      preview: (message) => [{ label: 'Message', text: message.text }],
      measure: () => [],
      async send(message, target) {
        let response: Response;
        try {
          response = await fetch(url, {
            method: 'POST',
            body: JSON.stringify(message),
            headers: { 'idempotency-key': target.idempotencyKey },
            signal: target.signal,
          });
        } catch (error) {
          throw new RetryableError(`sink unreachable: ${(error as Error).message}`);
        }
        if (!response.ok) throw errorForHttpStatus(response.status, await response.text());
        const { id } = (await response.json()) as { id: string };
        return { externalId: id };
      },
    }),
  };
}

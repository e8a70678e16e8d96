import cliProgress from 'cli-progress';
import type { ApiClient } from './client.js';

interface ChannelView {
  channel: string;
  state: string;
  total: number;
  delivered: number;
  failed: number;
  pending: number;
  externalUrl?: string;
  error?: string;
  rateLimitedUntil?: string;
}
export interface DeliveriesAnswer {
  updateId: string;
  channels: ChannelView[];
}

const SETTLED = new Set(['delivered', 'partial', 'failed', 'skipped']);

/** Live per-channel progress until every channel of the update has settled. Returns the final view. */
export async function waitForDeliveries(
  client: ApiClient,
  updateId: string,
  options: { json: boolean; timeoutMs?: number; pollMs?: number },
): Promise<DeliveriesAnswer> {
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  const interactive = !options.json && process.stderr.isTTY;
  const multibar = interactive
    ? new cliProgress.MultiBar(
        {
          format: ' {channel} [{bar}] {value}/{total} {state}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  const lastLine = new Map<string, string>();
  try {
    for (;;) {
      const answer = await client.request<DeliveriesAnswer>('GET', `api/v1/updates/${updateId}/deliveries`);
      const width = Math.max(...answer.channels.map((c) => c.channel.length), 8);
      for (const c of answer.channels) {
        const state = describe(c);
        const payload = { channel: c.channel.padEnd(width), state };
        if (multibar) {
          const bar = bars.get(c.channel) ?? multibar.create(c.total, 0, payload);
          bars.set(c.channel, bar);
          bar.setTotal(Math.max(c.total, 1));
          bar.update(c.delivered + c.failed, payload);
        } else if (!options.json && lastLine.get(c.channel) !== state) {
          lastLine.set(c.channel, state);
          process.stderr.write(`${c.channel.padEnd(width)}  ${c.delivered + c.failed}/${c.total}  ${state}\n`);
        }
      }
      if (answer.channels.every((c) => SETTLED.has(c.state))) return answer;
      if (Date.now() > deadline)
        throw new Error(
          `update ${updateId} had not settled on every channel after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s`,
        );
      await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    }
  } finally {
    multibar?.stop();
  }
}

function describe(c: ChannelView): string {
  if (c.state === 'pending' && c.rateLimitedUntil) return `rate-limited until ${c.rateLimitedUntil}`;
  if (c.state === 'delivered') return `delivered${c.externalUrl ? ` ${c.externalUrl}` : ''}`;
  if (c.error && c.state !== 'delivering') return `${c.state}: ${c.error}`;
  return c.state;
}

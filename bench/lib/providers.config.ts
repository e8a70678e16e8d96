// The channels config `herald serve` runs with in the per-update latency benches (bench/social.ts,
// bench/chat.ts): the channels and options the bench passes as JSON in BENCH_CHANNELS, each pointed at a local
// protocol fake and with the provider's rate limit lifted (the fakes have none; real limits would only add
// waiting to a latency measurement).
import * as channel from '../../src/channels/registry.js';
import { type ChannelDefinition, defineConfig } from '../../src/config/define.js';

export interface BenchChannel {
  kind: 'twitter' | 'mastodon' | 'bluesky' | 'slack' | 'teams' | 'discord' | 'mattermost' | 'discourse';
  options: Record<string, unknown>;
}

const NO_LIMIT = { max: 100_000, perMs: 1_000 };

export default defineConfig((env) => ({
  site: { name: 'Bench' },
  channels: (JSON.parse(env.BENCH_CHANNELS ?? '[]') as BenchChannel[]).map(({ kind, options }) => {
    // Options come from the bench as JSON: checked by the channel at start, not by the compiler.
    const make = channel[kind] as unknown as (options: Record<string, unknown>) => ChannelDefinition;
    return make({ ...options, rate: NO_LIMIT });
  }),
}));

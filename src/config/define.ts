import type { ChannelDefinition } from '../channels/channel.js';

// channels.config.ts is typed from here; a channel's own types (its definition, what it gets when built) belong to
// src/channels/channel.ts and are named here too for the config file's authors.
export type { ChannelDefinition, ChannelRuntime } from '../channels/channel.js';

export interface HeraldConfig {
  site?: { name?: string };
  channels: Array<ChannelDefinition | false | null | undefined | '' | 0>;
}

/** Typed config helper for channels.config.ts: a wrong option is a compile error. */
export function defineConfig(config: HeraldConfig | ((env: NodeJS.ProcessEnv) => HeraldConfig)) {
  return config;
}
export type ConfigExport = ReturnType<typeof defineConfig>;

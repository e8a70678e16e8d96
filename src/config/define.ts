import type { Channel } from '../channels/channel.js';
import type { Templates } from '../render/templates.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../store/store.js';

/** What a channel gets when Herald builds it: shared services, never process.env. */
export interface ChannelRuntime {
  store: Store;
  templates: Templates;
  logger: Logger;
  publicUrl: string;
  siteName: string;
  /** Key for HMAC tokens in links. */
  secret: string;
  dataDir: string;
}

export interface ChannelDefinition<C extends Channel = Channel> {
  name: string;
  kind: string;
  create(runtime: ChannelRuntime): C;
}

export interface HeraldConfig {
  site?: { name?: string };
  channels: Array<ChannelDefinition | false | null | undefined | '' | 0>;
}

/** Typed config helper for channels.config.ts: a wrong option is a compile error. */
export function defineConfig(config: HeraldConfig | ((env: NodeJS.ProcessEnv) => HeraldConfig)) {
  return config;
}
export type ConfigExport = ReturnType<typeof defineConfig>;

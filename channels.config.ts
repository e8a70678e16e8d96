import { defineConfig } from './src/config/define.js';
import * as channel from './src/channels/registry.js';

// Herald's channels. Each is switched on by its environment variables (see the README); the names
// here are the names in `channels` lists, deliveries and metrics. A second target of one kind gets a
// name of its own, e.g. channel.slack({ name: 'slack-community', ... }).
export default defineConfig((env) => ({
  site: { name: env.HERALD_SITE_NAME ?? 'Status' },
  channels: [
    // Development: every update as text in ./data/log-channel.jsonl. Remove for production.
    env.HERALD_LOG_CHANNEL !== '0' && channel.log({ file: 'log-channel.jsonl' }),
  ],
}));

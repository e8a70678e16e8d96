import { defineConfig } from '../../src/config/define.js';
import { sinkChannel } from './sink-channel.js';

// A channels config for process tests: one channel posting to the HttpSink at SINK_URL.
export default defineConfig((env) => ({ channels: [sinkChannel(env.SINK_URL!)] }));

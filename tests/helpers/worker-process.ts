// A Herald worker in its own process, for tests that SIGKILL it. Env: DATABASE_URL, REDIS_URL,
// HERALD_QUEUE_PREFIX, HERALD_LOCK_DURATION_MS, SINK_URL. Prints "ready" once its workers listen.
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startHerald } from '../../src/app/herald.js';
import { sinkChannel } from './sink-channel.js';

const env = readEnv(process.env);
const herald = await startHerald({
  env,
  config: { channels: [sinkChannel(process.env.SINK_URL!)] },
  logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  workers: true,
  sweeper: { intervalMs: 500, staleAfterMs: 1_000 },
});
await herald.workers!.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void herald.close().then(() => process.exit(0)));

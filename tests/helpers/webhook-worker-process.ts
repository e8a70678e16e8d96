// A Herald worker with the webhooks channel (component events on, private targets allowed), in its own process,
// for tests that SIGKILL it. Env: DATABASE_URL, REDIS_URL, HERALD_QUEUE_PREFIX, HERALD_LOCK_DURATION_MS,
// HERALD_SECRET. Prints "ready" once its workers listen.
import { webhooks } from '../../src/channels/webhooks/index.js';
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startHerald } from '../../src/app/herald.js';

const env = readEnv(process.env);
const herald = await startHerald({
  env,
  config: { channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true })] },
  logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  workers: true,
  sweeper: false,
});
await herald.workers!.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void herald.close().then(() => process.exit(0)));

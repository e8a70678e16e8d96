// A Herald worker process with one Slack channel, for crash tests: run with `node --import tsx`, configured
// entirely by environment (DATABASE_URL, REDIS_URL, HERALD_QUEUE_PREFIX, HERALD_LOCK_DURATION_MS, SLACK_*).
// Prints "ready" once its workers listen; the test SIGKILLs it mid-send.
import { slack } from '../../src/channels/slack/index.js';
import { readEnv } from '../../src/config/env.js';
import { startHerald } from '../../src/app/herald.js';
import { createLogger } from '../../src/runtime/logger.js';

const env = readEnv(process.env);
const herald = await startHerald({
  env,
  config: {
    channels: [
      slack({
        token: process.env.SLACK_TOKEN!,
        channel: process.env.SLACK_CHANNEL!,
        apiUrl: process.env.SLACK_API_URL,
        rate: { max: 1000, perMs: 1000 },
      }),
    ],
  },
  logger: createLogger({ level: process.env.CHILD_LOG_LEVEL ?? 'silent', secrets: [process.env.SLACK_TOKEN] }),
  workers: true,
  sweeper: false,
});
await herald.workers?.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void herald.close().finally(() => process.exit(0));
});

// A delivery worker in a process of its own, for crash tests and the bench: email channel only.
// Env: DATABASE_URL, REDIS_URL, HERALD_QUEUE_PREFIX, HERALD_SECRET, HERALD_PUBLIC_URL, SMTP_URL, EMAIL_FROM,
// HERALD_LOCK_DURATION_MS. Prints "ready" on stdout when its workers listen; SIGTERM closes it cleanly.
import { email } from '../../src/channels/email/index.js';
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startHerald } from '../../src/app/herald.js';

const env = readEnv(process.env);
const herald = await startHerald({
  env,
  config: {
    channels: [
      email({ smtpUrl: process.env.SMTP_URL!, from: process.env.EMAIL_FROM ?? 'Status <status@example.test>' }),
    ],
  },
  logger: createLogger({
    level: process.env.TEST_LOG_LEVEL ?? 'warn',
    secrets: [env.secret],
    destination: process.stderr,
  }),
  workers: true,
  sweeper: false,
});
await herald.workers!.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void herald.close().finally(() => process.exit(0));
});

import type { ChannelRuntime } from '../../src/config/define.js';
import { Templates } from '../../src/render/templates.js';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import { createLogger } from '../../src/runtime/logger.js';

/** What a chat channel needs from Herald to be created outside the pipeline (contract and unit tests). */
export function chatRuntime(): ChannelRuntime {
  return {
    store: undefined as never, // the chat channels never touch the store
    templates: new Templates(TEMPLATES_DIR),
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    publicUrl: 'https://status.example.test',
    appUrl: 'https://status.example.test',
    siteName: 'Example Status',
    secret: 'test-secret',
    dataDir: '/tmp',
  };
}

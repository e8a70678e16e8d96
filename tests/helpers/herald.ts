import type { FastifyInstance } from 'fastify';
import type { ChannelDefinition, HeraldConfig } from '../../src/config/define.js';
import { readEnv } from '../../src/config/env.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/runtime/logger.js';
import { type Herald, startHerald } from '../../src/app/herald.js';
import {
  type DatabaseKind,
  REDIS_URL,
  dropRedisPrefix,
  eventually,
  freshDatabase,
  tempDir,
  uniqueName,
} from './env.js';

export const TEST_TOKEN = 'test-token-0123456789';

export interface TestHerald {
  herald: Herald;
  app: FastifyInstance;
  databaseUrl: string;
  prefix: string;
  dataDir: string;
  api<T = any>(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startTestHerald(
  options: {
    database?: DatabaseKind;
    channels?: ChannelDefinition[];
    workers?: boolean;
    env?: Record<string, string>;
    sweeper?: { intervalMs?: number; staleAfterMs?: number } | false;
    /** A templates folder of the test's own (the console saves into it); default: the repo's templates/. */
    templatesDir?: string;
    dataDir?: string;
    /** channels.config.ts's `alerts` (rules, flap window). */
    alerts?: HeraldConfig['alerts'];
    /** channels.config.ts's `site` (name, brand, embedAncestors). */
    site?: HeraldConfig['site'];
  } = {},
): Promise<TestHerald> {
  const dataDir = options.dataDir ?? tempDir();
  const database = await freshDatabase(options.database ?? 'sqlite', dataDir);
  const prefix = uniqueName('htest');
  const env = readEnv({
    HERALD_DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    REDIS_URL,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_API_TOKEN: TEST_TOKEN,
    HERALD_PUBLIC_URL: 'https://status.example.test',
    ...options.env,
  });
  const herald = await startHerald({
    env,
    config: {
      channels: options.channels ?? [],
      ...(options.alerts ? { alerts: options.alerts } : {}),
      ...(options.site ? { site: options.site } : {}),
    },
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', secrets: [TEST_TOKEN] }),
    workers: options.workers,
    sweeper: options.sweeper ?? false,
    templatesDir: options.templatesDir,
  });
  const app = await buildApp(herald);
  return {
    herald,
    app,
    databaseUrl: database.url,
    prefix,
    dataDir,
    async api(method, url, body, headers = {}) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${TEST_TOKEN}`, ...headers },
        ...(body === undefined ? {} : typeof body === 'string' ? { payload: body } : { payload: body as object }),
      });
      const text = response.body;
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.statusCode, body: parsed as never, headers: response.headers };
    },
    async close() {
      await app.close();
      await herald.close();
      await dropRedisPrefix(prefix);
      await database.drop();
    },
  };
}

/**
 * Waits until every channel of the update is delivered (and, with `channels`, that there are that many rows);
 * throws at once, naming the channel and its error, when one has failed.
 */
export function deliveredEverywhere(
  h: TestHerald,
  updateId: string,
  options: { channels?: number; timeoutMs?: number } = {},
) {
  return eventually(async () => {
    const res = await h.api('GET', `/api/v1/updates/${updateId}/deliveries`);
    const channels = res.body.channels as Array<{ channel: string; state: string; error?: string }>;
    const failed = channels.find((c) => c.state === 'failed');
    if (failed) throw new Error(`${failed.channel} failed: ${failed.error}`);
    const all = options.channels === undefined || channels.length === options.channels;
    return all && channels.every((c) => c.state === 'delivered') ? channels : undefined;
  }, options.timeoutMs ?? 15_000);
}

import { type AddressInfo, isIP } from 'node:net';
import { readEnv } from '../../config/env.js';
import { loadConfigFile } from '../../config/load.js';
import { type Herald, startHerald } from '../../app/herald.js';
import { createLogger, maskUrlPassword } from '../../runtime/logger.js';
import { ensureRedis } from '../local-redis.js';
import { migrateToLatest, openDatabase } from '../../store/db.js';
import { checkDatabase, listenProblem } from '../startup-checks.js';

/** Where `herald serve` listens: HOST, every address by default. */
const DEFAULT_HOST = '0.0.0.0';

/** `herald serve` and `herald worker`: Herald's long-running processes, with a graceful SIGTERM. */
export async function runProcess(vars: NodeJS.ProcessEnv, mode: { http: boolean; workers: boolean }) {
  const env = readEnv(vars);
  const host = vars.HOST || DEFAULT_HOST;
  const logger = createLogger({ secrets: [env.apiToken, env.secret] });
  await checkDatabase(env.databaseUrl);
  const redis = await ensureRedis(env, logger);
  const config = await loadConfigFile(env.configPath, vars);
  let herald: Herald | undefined;
  try {
    herald = await startHerald({ env: { ...env, redisUrl: redis.url }, config, logger, workers: mode.workers });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  // The HTTP side (fastify, the routes, the console's views) loads only in `herald serve`: a worker never uses it.
  const app = mode.http ? await (await import('../../http/app.js')).buildApp(herald) : undefined;
  let port = env.port;
  if (app) {
    try {
      await app.listen({ port: env.port, host });
    } catch (error) {
      await app.close().catch(() => undefined);
      await herald.close();
      await redis.stop();
      throw listenProblem(error as NodeJS.ErrnoException, host, env.port) ?? error;
    }
    port = (app.server.address() as AddressInfo).port;
  }

  logger.info(
    {
      http: app ? localUrl(host, port) : undefined,
      host: app ? host : undefined,
      publicUrl: env.publicUrl,
      database: maskUrlPassword(herald.store.description),
      redis: maskUrlPassword(redis.url) + (redis.embedded ? ' (started by Herald)' : ''),
      channels: herald.channels.map((c) => c.name),
      workers: mode.workers,
    },
    mode.http ? 'herald serve is up' : 'herald worker is up',
  );
  if (app && !env.apiToken)
    logger.warn('HERALD_API_TOKEN is not set: the admin API refuses every call until you set it');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new jobs; active jobs finish or are released');
    const force = setTimeout(() => process.exit(1), 30_000).unref();
    await app?.close();
    await herald?.close();
    await redis.stop();
    clearTimeout(force);
    logger.info({ signal }, 'stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** The address to open Herald at from this machine: the bind address, or loopback when it binds every address. */
function localUrl(host: string, port: number): string {
  const address = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/** `herald migrate`. */
export async function runMigrations(): Promise<void> {
  const env = readEnv();
  await checkDatabase(env.databaseUrl);
  const { db, description } = openDatabase(env.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(
      applied.length ? `applied ${applied.join(', ')} to ${description}\n` : `database ${description} is up to date\n`,
    );
  } finally {
    await db.destroy();
  }
}

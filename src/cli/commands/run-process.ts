import { readEnv } from '../../config/env.js';
import { loadConfigFile } from '../../config/load.js';
import { buildApp } from '../../http/app.js';
import { type Herald, startHerald } from '../../runtime/herald.js';
import { createLogger, maskUrlPassword } from '../../runtime/logger.js';
import { ensureRedis } from '../../runtime/local-redis.js';
import { migrateToLatest, openDatabase } from '../../store/db.js';

/** `herald serve` and `herald worker`: Herald's long-running processes, with a graceful SIGTERM. */
export async function runProcess(vars: NodeJS.ProcessEnv, mode: { http: boolean; workers: boolean }) {
  const env = readEnv(vars);
  const logger = createLogger({ secrets: [env.apiToken, env.secret] });
  const redis = await ensureRedis(env, logger);
  const config = await loadConfigFile(env.configPath, vars);
  let herald: Herald | undefined;
  try {
    herald = await startHerald({ env: { ...env, redisUrl: redis.url }, config, logger, workers: mode.workers });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  const app = mode.http ? await buildApp(herald) : undefined;
  if (app) await app.listen({ port: env.port, host: vars.HOST ?? '0.0.0.0' });

  logger.info(
    {
      http: app ? `http://127.0.0.1:${env.port}` : undefined,
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
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** `herald migrate`. */
export async function runMigrations(): Promise<void> {
  const env = readEnv();
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

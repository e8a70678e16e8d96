import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { type Channel, type ChannelRuntime, signupKinds } from '../channels/channel.js';
import type { HeraldConfig } from '../config/define.js';
import { ConfigError, type HeraldEnv } from '../config/env.js';
import { enabledDefinitions } from '../config/load.js';
import { readCadence } from '../console/cadence.js';
import { reminderJob } from '../console/reminder-runtime.js';
import { readReminderSettings } from '../console/reminders.js';
import { type AnyEngineJob, DeliveryEngine, erasedJob } from '../pipeline/engine.js';
import type { PublishDeps } from '../pipeline/publish.js';
import { DeliveryQueues, producerConnection } from '../pipeline/queues.js';
import { componentEventsJob } from '../pipeline/component-events.js';
import { maintenanceClockJob, readMaintenanceCheckMs } from '../pipeline/maintenance-clock.js';
import { OutboxSweeper } from '../pipeline/sweeper.js';
import { Templates } from '../render/templates.js';
import { type Logger, createLogger } from '../runtime/logger.js';
import { Metrics } from '../runtime/metrics.js';
import { statusPageReconcileJob } from '../pipeline/statuspage-reconciler.js';
import { targetViews } from '../channels/statuspage/target-view.js';
import { type Brand, loadBrand } from '../statuspage/brand.js';
import { embedFrameAncestors } from '../statuspage/security-headers.js';
import { openStore, type Store } from '../store/store.js';
import { ConfirmationQueue, confirmationJob } from '../subscribers/confirmations.js';
import type { SubscriberDeps } from '../subscribers/service.js';
import type { AlertIntakeDeps } from '../alerts/intake.js';
import { AlertQueues, holdingJob, pageJob } from '../alerts/jobs.js';
import { AlertMetrics } from '../alerts/metrics.js';
import { Pager } from '../alerts/paging.js';
import { AlertRules } from '../alerts/rules.js';

export const TEMPLATES_DIR = resolve(import.meta.dirname, '../../templates');

export interface HeraldOptions {
  env: HeraldEnv;
  config: HeraldConfig;
  logger?: Logger;
  /**
   * Run the delivery engine in this process: channel deliveries, fan-out pages, confirmation messages and
   * reminders (serve's default; `--no-workers` and the API-only tests turn it off).
   */
  workers?: boolean;
  sweeper?: { intervalMs?: number; staleAfterMs?: number } | false;
  templatesDir?: string;
  /** How often the engine looks for holding statements that are due and not scheduled (default a minute). */
  alertSweepMs?: number;
}

/**
 * One running Herald, built and started here (the composition root) and closed by close(): database, queues,
 * channels, and optionally the delivery engine (maintenances' own clock among its jobs) and the outbox sweeper.
 */
export interface Herald {
  env: HeraldEnv;
  logger: Logger;
  store: Store;
  redis: Redis;
  queues: DeliveryQueues;
  /** Opt-in messages to new subscribers, sent by the workers. */
  confirmations: ConfirmationQueue;
  channels: Channel[];
  siteName: string;
  /** channels.config.ts `site` brand (logo, favicon, accent colour), loaded and checked at start. */
  brand: Brand;
  /** Who may frame the status widget (embed.html): `site.embedAncestors` as checked at start. */
  embedAncestors?: readonly string[];
  metrics: Metrics;
  publishDeps: PublishDeps;
  /** What sign-ups, imports and unsubscribes use (the API, the public pages, the console). */
  subscriberDeps: SubscriberDeps;
  /** The delivery engine, when this process runs it. */
  workers?: DeliveryEngine;
  sweeper?: OutboxSweeper;
  templates: Templates;
  /** Alerts → drafts: the intake the alert routes call, its metrics and queues. */
  alerts: { intake: AlertIntakeDeps; metrics: AlertMetrics; queues: AlertQueues };
  close(): Promise<void>;
}

export async function startHerald(options: HeraldOptions): Promise<Herald> {
  const { env, config } = options;
  const logger =
    options.logger ?? createLogger({ secrets: [env.apiToken, env.secret, ...secretLookingValues(env.vars)] });
  const alertRules = new AlertRules(config.alerts?.rules, env.alertAutopublishMinutes);
  // The site's settings are checked before anything opens: a mistake there leaves nothing to close.
  const siteName = config.site?.name ?? 'Status';
  let brand: Brand;
  try {
    embedFrameAncestors(config.site?.embedAncestors);
    // Herald's own answer pages wear it even without a status page channel.
    brand = loadBrand(config.site);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const store = await openStore(env.databaseUrl);
  const templates = new Templates(options.templatesDir ?? TEMPLATES_DIR, (message) =>
    logger.warn(`template reload failed: ${message}`),
  );
  const runtime: ChannelRuntime = {
    store,
    templates,
    logger,
    publicUrl: env.publicUrl,
    appUrl: env.appUrl,
    siteName,
    site: config.site,
    secret: env.secret,
    dataDir: env.dataDir,
    // The status page's form offers what the audience channels built below can confirm.
    signupKinds: () => signupKinds(channels),
  };
  const channels: Channel[] = enabledDefinitions(config).map((definition) => definition.create(runtime));
  try {
    checkRuleChannels(alertRules, channels);
  } catch (error) {
    await Promise.allSettled(channels.map((c) => c.close?.()));
    await store.close();
    throw error;
  }

  const redis = producerConnection(env.redisUrl);
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  await waitForReady(redis, 10_000, env.redisUrlGiven).catch(async (error) => {
    redis.disconnect();
    await store.close();
    throw error;
  });
  await warnOnEvictionPolicy(redis, logger);

  const queues = new DeliveryQueues(redis, env.queuePrefix, new Map(channels.map((c) => [c.name, c.capabilities])));
  const confirmations = new ConfirmationQueue(redis, env.queuePrefix);
  const metrics = new Metrics(
    async () => {
      const rows: Array<{ channel: string; state: string; count: number }> = [];
      for (const channel of channels) {
        const counts = await queues.depth(channel.name);
        for (const [state, count] of Object.entries(counts)) rows.push({ channel: channel.name, state, count });
      }
      return rows;
    },
    () => confirmations.depth(),
    async () =>
      [...(await targetViews(store.db, channels)).values()]
        .flat()
        .map((t) => ({ target: t.name, seconds: t.lagSeconds })),
  );
  const publishDeps: PublishDeps = { store, queues, channels, publicUrl: env.publicUrl, logger };
  const subscriberDeps: SubscriberDeps = {
    db: store.db,
    secret: env.secret,
    appUrl: env.appUrl,
    allowPrivateWebhooks: env.allowPrivateWebhooks,
    channels,
    logger,
    confirmations,
  };

  const alertMetrics = new AlertMetrics(metrics.registry);
  const alertQueues = new AlertQueues(redis, env.queuePrefix);
  const alerts = {
    metrics: alertMetrics,
    queues: alertQueues,
    intake: {
      publishDeps,
      rules: alertRules,
      queues: alertQueues,
      metrics: alertMetrics,
      flapWindowMs: (config.alerts?.flapWindowMinutes ?? 10) * 60_000,
    },
  };

  const site = { name: siteName, publicUrl: env.publicUrl, appUrl: env.appUrl };
  // Opt-in messages and reminders are the engine's jobs too.
  const otherSenders = () => {
    const jobs: AnyEngineJob[] = [];
    const confirm = confirmationJob({ store, channels, appUrl: env.appUrl, secret: env.secret, logger });
    if (confirm) jobs.push(erasedJob(confirm));
    // Component status changes made outside an update, to the webhook subscribers (see pipeline/component-events).
    const events = componentEventsJob({ store, channels, site, logger, lockDurationMs: env.lockDurationMs ?? 30_000 });
    if (events) jobs.push(erasedJob(events));
    const remind = reminderJob(
      { db: store.db, channels, siteName, publicUrl: env.publicUrl, appUrl: env.appUrl, logger },
      readReminderSettings(env.vars),
      readCadence(env.vars),
    );
    if (remind) jobs.push(erasedJob(remind));
    jobs.push(
      erasedJob(
        holdingJob({
          publishDeps,
          queues: alertQueues,
          metrics: alertMetrics,
          siteName,
          logger,
          sweepMs: options.alertSweepMs,
        }),
      ),
    );
    const pager = new Pager({
      db: store.db,
      channels,
      webhookUrl: readReminderSettings(env.vars).webhookUrl,
      consoleBaseUrl: env.publicUrl,
      siteName,
      logger,
    });
    jobs.push(erasedJob(pageJob(pager)));
    // The status page's reconciler: every target converges on the latest build by itself.
    const reconcile = statusPageReconcileJob(channels, logger);
    if (reconcile) jobs.push(erasedJob(reconcile));
    jobs.push(
      erasedJob(
        maintenanceClockJob(
          { store, queues, channels, logger },
          {
            intervalMs: readMaintenanceCheckMs(env.vars),
            leadMinutes: readReminderSettings(env.vars).maintenanceLeadMinutes,
          },
        ),
      ),
    );
    return jobs;
  };
  const workers =
    options.workers === false
      ? undefined
      : new DeliveryEngine({
          store,
          channels,
          redisUrl: env.redisUrl,
          prefix: env.queuePrefix,
          site,
          logger,
          metrics,
          lockDurationMs: env.lockDurationMs,
          jobs: otherSenders(),
        }).start();
  const sweeper =
    options.sweeper === false ? undefined : new OutboxSweeper(store, queues, logger, options.sweeper ?? {}).start();

  let closing: Promise<void> | undefined;
  return {
    env,
    logger,
    store,
    redis,
    queues,
    confirmations,
    channels,
    siteName,
    brand,
    embedAncestors: config.site?.embedAncestors,
    metrics,
    publishDeps,
    subscriberDeps,
    workers,
    sweeper,
    templates,
    alerts,
    close() {
      closing ??= (async () => {
        await sweeper?.stop();
        await workers?.close();
        await queues.close();
        await alertQueues.close();
        await confirmations.close().catch(() => undefined);
        await Promise.allSettled(channels.map((c) => c.close?.()));
        // QUIT lets commands already sent finish (a bare disconnect rejects them: "Connection is closed");
        // bounded, for a Redis that no longer answers.
        await Promise.race([redis.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
        redis.disconnect();
        await store.close();
      })();
      return closing;
    },
  };
}

function waitForReady(redis: Redis, timeoutMs: number, urlGiven: boolean): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      const at = redis.options.path ?? `${redis.options.host}:${redis.options.port}`;
      const within = `did not answer within ${timeoutMs / 1000}s`;
      reject(
        new ConfigError(
          urlGiven
            ? `Redis at ${at} (REDIS_URL) ${within}; check it is running and that REDIS_URL points at it`
            : `Redis at ${at} ${within}; start Redis, or set REDIS_URL to yours`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolvePromise();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** A rule's holding statement to a channel that is not enabled would fail when nobody is looking: refuse at start. */
function checkRuleChannels(rules: AlertRules, channels: ReadonlyArray<Channel>) {
  const names = channels.map((c) => c.name);
  for (const { rule, channel } of rules.channelsNamed()) {
    if (!names.includes(channel))
      throw new ConfigError(
        `alerts rule '${rule}': channel '${channel}' is not enabled; enabled channels: ${names.join(', ') || '(none)'}`,
      );
  }
}

/** BullMQ loses jobs if Redis evicts keys: say so loudly at start. */
async function warnOnEvictionPolicy(redis: Redis, logger: Logger) {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      logger.warn(
        { policy },
        `Redis maxmemory-policy is '${policy}': set it to 'noeviction' or queued deliveries can be evicted`,
      );
    }
  } catch {
    // CONFIG may be disabled on managed Redis; nothing to check then.
  }
}

/** Values of env variables whose names say they are secret, to keep them out of logs. */
function secretLookingValues(vars: NodeJS.ProcessEnv): string[] {
  return Object.entries(vars)
    .filter(([name, value]) => value && /TOKEN|SECRET|PASSWORD|API_KEY|AUTH|_KEY$/i.test(name))
    .map(([, value]) => value!)
    .concat(
      Object.entries(vars)
        .filter(([name, value]) => value && /_URL$/.test(name))
        .flatMap(([, value]) => {
          try {
            const password = new URL(value!).password;
            return password ? [decodeURIComponent(password)] : [];
          } catch {
            return [];
          }
        }),
    );
}

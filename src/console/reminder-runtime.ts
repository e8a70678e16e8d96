import type { Channel } from '../channels/channel.js';
import type { EngineJob } from '../pipeline/engine.js';
import type { Logger } from '../runtime/logger.js';
import type { Executor } from '../store/executor.js';
import type { CadenceSettings } from './cadence.js';
import { CadenceReminders } from './cadence-reminders.js';
import type { ReminderCheck, ReminderSettings } from './reminders.js';

export const REMINDERS_QUEUE = 'reminders';

export interface ReminderDeps {
  db: Executor;
  channels: ReadonlyArray<Channel>;
  siteName: string;
  /** HERALD_PUBLIC_URL: reminders link to the console and the status page. */
  publicUrl: string;
  /** Herald's own address: the console link in a reminder. */
  appUrl: string;
  logger: Logger;
}

type Checked = { sent: Record<string, number> };

/**
 * The reminders as a job of the delivery engine, run every `settings.intervalMs` (one job per period across
 * processes): cadence reminders to the commanders' chat, when HERALD_REMINDER_WEBHOOK_URL is set (none otherwise).
 * Each is claimed in the database, so a job run twice sends nothing twice. A maintenance's "starts soon" notice is a
 * step of its own life, sent through its channels: see src/pipeline/maintenance.ts.
 */
export function reminderJob(
  deps: ReminderDeps,
  settings: ReminderSettings,
  cadence: CadenceSettings,
): EngineJob<Record<string, never>, Checked> | undefined {
  const checks = reminderChecks(deps, settings, cadence);
  if (checks.length === 0) return undefined;
  return {
    queue: REMINDERS_QUEUE,
    concurrency: 1,
    every: { ms: settings.intervalMs, name: 'check' },
    process: () => runChecks(checks, deps.logger),
  };
}

function reminderChecks(
  deps: ReminderDeps,
  settings: ReminderSettings,
  cadence: CadenceSettings,
): Array<{ name: string; check: ReminderCheck }> {
  const checks: Array<{ name: string; check: ReminderCheck }> = [];
  if (settings.webhookUrl) {
    checks.push({
      name: 'cadence',
      check: new CadenceReminders({
        db: deps.db,
        cadence,
        webhookUrl: settings.webhookUrl,
        appUrl: deps.appUrl,
        logger: deps.logger,
      }),
    });
  }
  return checks;
}

/** Each check on its own: one failing (its error logged) does not hold back the others. */
async function runChecks(checks: Array<{ name: string; check: ReminderCheck }>, logger: Logger): Promise<Checked> {
  const sent: Record<string, number> = {};
  for (const { name, check } of checks) {
    try {
      sent[name] = await check.check();
      if (sent[name] > 0) logger.info({ reminder: name, sent: sent[name] }, 'reminders sent');
    } catch (err) {
      logger.warn({ reminder: name, err: (err as Error).message }, 'reminder check failed');
    }
  }
  return { sent };
}

import type { Herald } from '../runtime/herald.js';
import type { CadenceSettings } from './cadence.js';
import { CadenceReminders } from './cadence-reminders.js';
import { MaintenanceReminders, compileMaintenanceTemplates, emailChannelOf } from './maintenance-reminders.js';
import { type ReminderCheck, type ReminderSettings, ReminderTicker } from './reminders.js';

/**
 * Starts the console's reminders in this process: cadence reminders to the commanders' chat (when
 * HERALD_REMINDER_WEBHOOK_URL is set) and maintenance reminders to email subscribers (when an email channel
 * is enabled and HERALD_MAINTENANCE_REMINDER_MINUTES is not 0). Safe to run in several processes.
 */
export function startConsoleReminders(
  herald: Herald,
  settings: ReminderSettings,
  cadence: CadenceSettings,
): ReminderTicker {
  const checks: Array<{ name: string; check: ReminderCheck }> = [];
  const db = herald.store.db;
  if (settings.webhookUrl) {
    checks.push({
      name: 'cadence',
      check: new CadenceReminders({
        db,
        cadence,
        webhookUrl: settings.webhookUrl,
        publicUrl: herald.env.publicUrl,
        logger: herald.logger,
      }),
    });
  }
  const channel = emailChannelOf(herald.channels);
  if (channel && settings.maintenanceLeadMinutes > 0) {
    try {
      const templates = compileMaintenanceTemplates(herald.templates);
      const site = { name: herald.siteName, url: herald.env.publicUrl };
      checks.push({
        name: 'maintenance',
        check: new MaintenanceReminders({
          db,
          channel,
          templates,
          leadMinutes: settings.maintenanceLeadMinutes,
          site,
          logger: herald.logger,
        }),
      });
    } catch (error) {
      herald.logger.warn(
        { err: (error as Error).message },
        'maintenance reminders are off: their email templates do not compile',
      );
    }
  }
  return new ReminderTicker(checks, herald.logger, settings.intervalMs).start();
}

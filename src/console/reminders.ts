/** Attempts of one reminder whose earlier sends surely did not arrive (refused connection, 5xx, 429). */
export const REMINDER_ATTEMPTS = 5;

export interface ReminderSettings {
  /** HERALD_REMINDER_WEBHOOK_URL: Slack-compatible incoming webhook of the commanders' channel; unset = no cadence reminders. */
  webhookUrl: string | undefined;
  /** HERALD_REMINDER_INTERVAL_SECONDS (default 30): how often due times are checked. */
  intervalMs: number;
  /** HERALD_MAINTENANCE_REMINDER_MINUTES (default 60; 0 = off): subscribers are emailed this long before a maintenance starts. */
  maintenanceLeadMinutes: number;
}

function whole(
  vars: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  unit: string,
): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number of ${unit} from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

export function readReminderSettings(vars: NodeJS.ProcessEnv): ReminderSettings {
  const raw = vars.HERALD_REMINDER_WEBHOOK_URL?.trim();
  let webhookUrl: string | undefined;
  if (raw) {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    // The URL itself is a secret (Slack puts the token in the path): never repeat it in the message.
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new Error(
        "HERALD_REMINDER_WEBHOOK_URL is not an http(s) URL; set it to the commanders' channel incoming-webhook URL (https://hooks.slack.com/services/…) or leave it unset",
      );
    }
    webhookUrl = url.toString();
  }
  return {
    webhookUrl,
    intervalMs: whole(vars, 'HERALD_REMINDER_INTERVAL_SECONDS', 30, 5, 3600, 'seconds') * 1000,
    maintenanceLeadMinutes: whole(vars, 'HERALD_MAINTENANCE_REMINDER_MINUTES', 60, 0, 10_080, 'minutes'),
  };
}

export interface ReminderCheck {
  /** Sends what is due at `now`; returns how many reminders went out. Idempotent across processes. */
  check(now?: Date): Promise<number>;
}

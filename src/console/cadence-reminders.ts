import type { IncidentWithUpdates } from '../domain/types.js';
import { IMPACT_LABEL, INCIDENT_STATUS_LABEL, formatUtc } from '../render/labels.js';
import { callWebhook } from '../channels/http.js';
import { classifyFailure } from '../pipeline/failure.js';
import type { Logger } from '../runtime/logger.js';
import type { Executor } from '../store/executor.js';
import { listIncidentsWithUpdates } from '../store/incidents-repo.js';
import { type ReminderState, claimCadenceReminder, recordCadenceReminder } from '../store/reminders-repo.js';
import { type CadenceSettings, nextUpdateDue } from './cadence.js';
import { REMINDER_ATTEMPTS, type ReminderCheck } from './reminders.js';

export interface CadenceReminderDeps {
  db: Executor;
  cadence: CadenceSettings;
  webhookUrl: string;
  /** Base URL of this Herald (HERALD_PUBLIC_URL): the reminder links to the console's compose page. */
  publicUrl: string;
  logger: Logger;
  timeoutMs?: number;
}

type Outcome = { state: ReminderState; error: string | null; refundAttempt?: boolean };

/** Slack's mrkdwn escapes: &, <, > (the same text reads fine in Mattermost, Rocket.Chat, Discord's Slack endpoint). */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function reminderText(
  incident: Pick<IncidentWithUpdates, 'id' | 'title' | 'status' | 'impact'>,
  due: { dueAt: string; which: string },
  publicUrl: string,
  now: Date,
): string {
  const late = Math.max(0, Math.round((now.getTime() - Date.parse(due.dueAt)) / 60_000));
  const status = INCIDENT_STATUS_LABEL[incident.status] ?? incident.status;
  const impact = IMPACT_LABEL[incident.impact] ?? incident.impact;
  return (
    `Reminder: the ${due.which} for "${slackEscape(incident.title)}" (${status}, impact ${impact}) was due at ${formatUtc(due.dueAt)}` +
    `${late > 0 ? `, ${late} min ago` : ''}. Post an update: ${publicUrl}/console/incidents/${incident.id}/update`
  );
}

/**
 * One reminder per (open incident, due time) to the commanders' chat when the next update is overdue.
 * The row in console_cadence_reminders is claimed before sending, so two processes or a restart never send
 * twice. A send that surely did not arrive (connection refused, 5xx, 429) is tried again on later checks,
 * up to 5 attempts; a send with no answer (timeout) is not, since it may have arrived.
 */
export class CadenceReminders implements ReminderCheck {
  constructor(private readonly deps: CadenceReminderDeps) {}

  async check(now: Date = new Date()): Promise<number> {
    const { db } = this.deps;
    const open = await listIncidentsWithUpdates(db, { unresolvedOnly: true, limit: 200 });
    let sent = 0;
    for (const incident of open) {
      const due = nextUpdateDue(incident, this.deps.cadence, now);
      if (!due?.overdue) continue;
      const attempt = await claimCadenceReminder(db, incident.id, due.dueAt, REMINDER_ATTEMPTS, now.toISOString());
      if (attempt === 0) continue;
      const outcome = await this.post(reminderText(incident, due, this.deps.publicUrl, now), attempt);
      await recordCadenceReminder(db, incident.id, due.dueAt, outcome, now.toISOString());
      if (outcome.state === 'sent') sent++;
      else
        this.deps.logger.warn(
          { incidentId: incident.id, dueAt: due.dueAt, err: outcome.error },
          'cadence reminder not sent',
        );
    }
    return sent;
  }

  /**
   * POST {text} to the incoming webhook; the failure is classified like any send's, except that one whose outcome is
   * unknown (a timeout) is not tried again: it may have arrived. Errors never carry the URL (its path is the secret).
   */
  private async post(text: string, attempt: number): Promise<Outcome> {
    try {
      await callWebhook({
        url: this.deps.webhookUrl,
        body: { text },
        timeoutMs: this.deps.timeoutMs ?? 10_000,
        what: "the commanders' chat webhook",
        fix: {
          auth: 'check HERALD_REMINDER_WEBHOOK_URL',
          gone: 'check HERALD_REMINDER_WEBHOOK_URL (the incoming webhook may have been removed)',
          rejected: 'check HERALD_REMINDER_WEBHOOK_URL',
        },
      });
      return { state: 'sent', error: null };
    } catch (error) {
      const failure = classifyFailure(
        error,
        { made: attempt - 1, max: REMINDER_ATTEMPTS },
        { retryUnknownOutcome: false },
      );
      if (failure.action === 'fail')
        return {
          state: 'failed',
          error: failure.outcomeUnknown ? `${failure.message}; not retried, as it may have arrived` : failure.message,
        };
      return { state: 'pending', error: failure.message, refundAttempt: failure.action === 'wait' };
    }
  }
}

import type { IncidentWithUpdates } from '../domain/types.js';
import { IMPACT_LABEL, INCIDENT_STATUS_LABEL, formatUtc } from '../render/labels.js';
import { classifyFailure } from '../pipeline/failure.js';
import type { Logger } from '../runtime/logger.js';
import type { Executor } from '../store/executor.js';
import { listIncidentsWithUpdates } from '../store/incidents-repo.js';
import { claimDraftReminder, listDrafts } from '../store/drafts-repo.js';
import { pageLines, postToCommandersChat } from '../alerts/paging.js';
import { type ReminderState, claimCadenceReminder, recordCadenceReminder } from '../store/reminders-repo.js';
import { type CadenceSettings, nextUpdateDue } from './cadence.js';
import { REMINDER_ATTEMPTS, type ReminderCheck } from './reminders.js';

export interface CadenceReminderDeps {
  db: Executor;
  cadence: CadenceSettings;
  webhookUrl: string;
  /** Base URL of this Herald (HERALD_PUBLIC_URL): the reminder links to the console's compose page. */
  /** Herald's own address, for the console link. */
  appUrl: string;
  logger: Logger;
  timeoutMs?: number;
}

type Outcome = { state: ReminderState; error: string | null; refundAttempt?: boolean };

/** Slack's mrkdwn escapes: &, <, > (the same text reads fine in Mattermost, Rocket.Chat, Discord's Slack endpoint). */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The latest due time of a draft at `now`: `firstMinutes` after it was made, then every `nextMinutes`. */
export function draftDueAt(createdAt: string, cadence: CadenceSettings, now: Date): string | undefined {
  const first = Date.parse(createdAt) + cadence.firstMinutes * 60_000;
  if (now.getTime() < first) return undefined;
  const periods = Math.floor((now.getTime() - first) / (cadence.nextMinutes * 60_000));
  return new Date(first + periods * cadence.nextMinutes * 60_000).toISOString();
}

export function reminderText(
  incident: Pick<IncidentWithUpdates, 'id' | 'title' | 'status' | 'impact'>,
  due: { dueAt: string; which: string },
  appUrl: string,
  now: Date,
): string {
  const late = Math.max(0, Math.round((now.getTime() - Date.parse(due.dueAt)) / 60_000));
  const status = INCIDENT_STATUS_LABEL[incident.status] ?? incident.status;
  const impact = IMPACT_LABEL[incident.impact] ?? incident.impact;
  return (
    `Reminder: the ${due.which} for "${slackEscape(incident.title)}" (${status}, impact ${impact}) was due at ${formatUtc(due.dueAt)}` +
    `${late > 0 ? `, ${late} min ago` : ''}. Post an update: ${appUrl}/console/incidents/${incident.id}/update`
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
      const outcome = await this.post(reminderText(incident, due, this.deps.appUrl, now), attempt);
      await recordCadenceReminder(db, incident.id, due.dueAt, outcome, now.toISOString());
      if (outcome.state === 'sent') sent++;
      else
        this.deps.logger.warn(
          { incidentId: incident.id, dueAt: due.dueAt, err: outcome.error },
          'cadence reminder not sent',
        );
    }
    return sent + (await this.checkDrafts(now));
  }

  /**
   * Drafts waiting for a commander are due like an incident's first follow-up (`firstMinutes` after the alert),
   * then every `nextMinutes`: one reminder per due time, claimed on the draft's row before it is sent.
   */
  private async checkDrafts(now: Date): Promise<number> {
    const { db, cadence } = this.deps;
    let sent = 0;
    for (const draft of await listDrafts(db, 'draft', 200)) {
      const dueAt = draftDueAt(draft.createdAt, cadence, now);
      if (!dueAt) continue;
      if (!(await claimDraftReminder(db, draft.id, dueAt))) continue;
      const waited = Math.max(1, Math.round((now.getTime() - Date.parse(draft.createdAt)) / 60_000));
      const { lines } = pageLines(draft, this.deps.appUrl, now);
      const text = [
        `Reminder: a draft has waited ${waited} min for a commander.`,
        ...lines.slice(0, 1),
        ...lines.slice(2),
      ]
        .map(slackEscape)
        .join('\n');
      const outcome = await this.post(text, 1);
      if (outcome.state === 'sent') sent++;
      else this.deps.logger.warn({ draftId: draft.id, dueAt, err: outcome.error }, 'draft reminder not sent');
    }
    return sent;
  }

  /**
   * POST {text} to the incoming webhook; the failure is classified like any send's, except that one whose outcome is
   * unknown (a timeout) is not tried again: it may have arrived. Errors never carry the URL (its path is the secret).
   */
  private async post(text: string, attempt: number): Promise<Outcome> {
    try {
      await postToCommandersChat(this.deps.webhookUrl, this.deps.timeoutMs, text);
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

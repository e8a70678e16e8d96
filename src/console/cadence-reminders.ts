import type { IncidentWithUpdates } from '../domain/types.js';
import { IMPACT_LABEL, INCIDENT_STATUS_LABEL, formatUtc } from '../render/labels.js';
import type { Logger } from '../runtime/logger.js';
import type { Executor } from '../store/executor.js';
import { listIncidentsWithUpdates } from '../store/incidents-repo.js';
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

type Outcome = { ok: true } | { ok: false; retry: boolean; error: string };

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
    const open = await listIncidentsWithUpdates(this.deps.db, { unresolvedOnly: true, limit: 200 });
    let sent = 0;
    for (const incident of open) {
      const due = nextUpdateDue(incident, this.deps.cadence, now);
      if (!due?.overdue) continue;
      if (!(await this.claim(incident.id, due.dueAt, now))) continue;
      const outcome = await this.post(reminderText(incident, due, this.deps.publicUrl, now));
      await this.record(incident.id, due.dueAt, outcome, now);
      if (outcome.ok) sent++;
      else
        this.deps.logger.warn(
          { incidentId: incident.id, dueAt: due.dueAt, err: outcome.error },
          'cadence reminder not sent',
        );
    }
    return sent;
  }

  /** True when this process may send the reminder: a new row, or a row left `pending` by a failed send. */
  private async claim(incidentId: string, dueAt: string, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const inserted = await this.deps.db
      .insertInto('console_cadence_reminders')
      .values({
        incident_id: incidentId,
        due_at: dueAt,
        state: 'sending',
        attempts: 1,
        error: null,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(['incident_id', 'due_at']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
    const retried = await this.deps.db
      .updateTable('console_cadence_reminders')
      .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1), updated_at: at }))
      .where('incident_id', '=', incidentId)
      .where('due_at', '=', dueAt)
      .where('state', '=', 'pending')
      .where('attempts', '<', REMINDER_ATTEMPTS)
      .executeTakeFirst();
    return Number(retried.numUpdatedRows) > 0;
  }

  private async record(incidentId: string, dueAt: string, outcome: Outcome, now: Date) {
    await this.deps.db
      .updateTable('console_cadence_reminders')
      .set({
        state: outcome.ok ? 'sent' : outcome.retry ? 'pending' : 'failed',
        error: outcome.ok ? null : outcome.error.slice(0, 500),
        updated_at: now.toISOString(),
      })
      .where('incident_id', '=', incidentId)
      .where('due_at', '=', dueAt)
      .execute();
  }

  /** POST {text} to the incoming webhook. Errors never carry the URL (its path is the secret). */
  private async post(text: string): Promise<Outcome> {
    let response: Response;
    try {
      response = await fetch(this.deps.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.deps.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        return {
          ok: false,
          retry: false,
          error: 'the webhook did not answer in time; not retried, as it may have arrived',
        };
      return { ok: false, retry: true, error: `could not reach the webhook (${e.cause?.code ?? e.message})` };
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return { ok: true };
    const retry = response.status === 429 || response.status === 408 || response.status >= 500;
    return {
      ok: false,
      retry,
      error: `the webhook answered HTTP ${response.status}${retry ? '' : '; check HERALD_REMINDER_WEBHOOK_URL (the incoming webhook may have been removed)'}`,
    };
  }
}

import { type AudienceChannel, type Channel, type Recipient, isAudienceChannel } from '../channels/channel.js';
import { type EmailMessage, UNSUBSCRIBE_PLACEHOLDER } from '../channels/email/render.js';
import { matchingIds } from '../domain/audience.js';
import { nowIso } from '../domain/ids.js';
import type { Maintenance } from '../domain/types.js';
import { classifyFailure } from '../pipeline/failure.js';
import type { TemplateFn, Templates } from '../render/templates.js';
import type { Logger } from '../runtime/logger.js';
import { applyRejection, scanSubscribers, subscriberAddresses } from '../store/audience-repo.js';
import type { Executor } from '../store/executor.js';
import { getMaintenances } from '../store/maintenances-repo.js';
import {
  claimMaintenanceReminder,
  recordMaintenanceReminder,
  settledMaintenanceReminders,
} from '../store/reminders-repo.js';
import { REMINDER_ATTEMPTS, type ReminderCheck } from './reminders.js';

export { maintenanceReminderCounts } from '../store/reminders-repo.js';

const PAGE = 500;
const SEND_CONCURRENCY = 8;

export interface MaintenanceEmailTemplates {
  subject: TemplateFn;
  html: TemplateFn;
  text: TemplateFn;
}

/** templates/email/maintenance-subject.txt.hbs, maintenance.html.hbs, maintenance.txt.hbs. */
export function compileMaintenanceTemplates(templates: Templates): MaintenanceEmailTemplates {
  return {
    subject: templates.compile('email', 'maintenance-subject.txt.hbs'),
    html: templates.compile('email', 'maintenance.html.hbs'),
    text: templates.compile('email', 'maintenance.txt.hbs'),
  };
}

/** The built-in email channel (its `sendTo` takes the {subject, html, text} message it renders itself). */
export function emailChannelOf(channels: ReadonlyArray<Channel>): AudienceChannel | undefined {
  return channels.filter(isAudienceChannel).find((c) => c.kind === 'email' && c.recipientKind === 'email');
}

/** When the reminder of a maintenance goes out: `leadMinutes` before it starts. */
export const reminderAt = (m: Pick<Maintenance, 'scheduledFor'>, leadMinutes: number) =>
  new Date(Date.parse(m.scheduledFor) - leadMinutes * 60_000).toISOString();

export interface MaintenanceReminderDeps {
  db: Executor;
  channel: AudienceChannel;
  templates: MaintenanceEmailTemplates;
  leadMinutes: number;
  site: { name: string; url: string };
  logger: Logger;
}

/**
 * Emails confirmed, active email subscribers of a scheduled maintenance's components `leadMinutes` before it
 * starts (a maintenance scheduled closer to its start is announced at once; one that has started is not).
 * Each (maintenance, subscriber) row is claimed in console_maintenance_reminders before sending: once per
 * subscriber across restarts and processes. Retryable failures are tried again on later checks (5 attempts).
 */
export class MaintenanceReminders implements ReminderCheck {
  constructor(private readonly deps: MaintenanceReminderDeps) {}

  async check(now: Date = new Date()): Promise<number> {
    if (this.deps.leadMinutes <= 0) return 0;
    const at = now.toISOString();
    const due = (await getMaintenances(this.deps.db, { statuses: ['scheduled'] })).filter(
      (m) => reminderAt(m, this.deps.leadMinutes) <= at && at < m.scheduledFor,
    );
    let sent = 0;
    for (const maintenance of due) sent += await this.remind(maintenance, now);
    return sent;
  }

  private render(m: Maintenance): EmailMessage {
    const data = {
      site: this.deps.site,
      maintenance: {
        title: m.title,
        message: m.message,
        scheduledFor: m.scheduledFor,
        scheduledUntil: m.scheduledUntil,
        components: m.components,
      },
      unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER,
    };
    // incidentId/updateId only name the Message-ID; `maintenance-` keeps it apart from incident threads.
    return {
      subject: this.deps.templates.subject(data).replace(/\s+/g, ' ').trim(),
      html: this.deps.templates.html(data),
      text: `${this.deps.templates.text(data).trim()}\n`,
      incidentId: `maintenance-${m.id}`,
      updateId: `maintenance-${m.id}`,
      isFirst: true,
    };
  }

  private async remind(m: Maintenance, now: Date): Promise<number> {
    const message = this.render(m);
    const affected = new Set(m.components.map((c) => c.id));
    let sent = 0;
    let after: string | null = null;
    for (;;) {
      const page = await scanSubscribers(this.deps.db, 'email', after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      const ids = matchingIds(page, affected);
      if (ids.length > 0) {
        const done = await settledMaintenanceReminders(this.deps.db, m.id, ids);
        const rows = await subscriberAddresses(
          this.deps.db,
          ids.filter((id) => !done.has(id)),
        );
        const queue = [...rows];
        await Promise.all(
          Array.from({ length: Math.min(SEND_CONCURRENCY, queue.length) }, async () => {
            for (let row = queue.shift(); row; row = queue.shift()) {
              if (
                await this.sendOne(
                  m,
                  message,
                  { subscriberId: row.id, kind: 'email', address: row.address, secret: null },
                  now,
                )
              )
                sent++;
            }
          }),
        );
      }
      if (page.length < PAGE) break;
    }
    return sent;
  }

  private async sendOne(m: Maintenance, message: EmailMessage, recipient: Recipient, now: Date): Promise<boolean> {
    const { db } = this.deps;
    const attempt = await claimMaintenanceReminder(
      db,
      m.id,
      recipient.subscriberId,
      REMINDER_ATTEMPTS,
      now.toISOString(),
    );
    if (attempt === 0) return false;
    try {
      await this.deps.channel.sendTo(message, recipient, {
        idempotencyKey: `maintenance-${m.id}-${recipient.subscriberId}`,
        attempt,
        signal: AbortSignal.timeout(60_000),
      });
      await recordMaintenanceReminder(db, m.id, recipient.subscriberId, { state: 'sent', error: null }, nowIso());
      return true;
    } catch (err) {
      // Tried again on later checks while attempts are left; a rate limit spends none.
      const failure = classifyFailure(err, { made: attempt - 1, max: REMINDER_ATTEMPTS });
      const error = failure.message.slice(0, 500);
      this.deps.logger.warn(
        { maintenanceId: m.id, subscriberId: recipient.subscriberId, err: error },
        'maintenance reminder not sent',
      );
      // A hard bounce here counts as anywhere: the address is suppressed for updates too.
      if (failure.action === 'fail' && failure.rejected)
        await applyRejection(db, recipient.subscriberId, failure.rejected, nowIso());
      await recordMaintenanceReminder(
        db,
        m.id,
        recipient.subscriberId,
        { state: failure.action === 'fail' ? 'failed' : 'pending', error, refundAttempt: failure.action === 'wait' },
        nowIso(),
      );
      return false;
    }
  }
}

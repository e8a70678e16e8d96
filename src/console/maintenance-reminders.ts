import { type AudienceChannel, type Channel, type Recipient, isAudienceChannel } from '../channels/channel.js';
import { type EmailMessage, UNSUBSCRIBE_PLACEHOLDER } from '../channels/email/render.js';
import { RateLimitedError, RetryableError } from '../channels/errors.js';
import type { Maintenance } from '../domain/types.js';
import type { TemplateFn, Templates } from '../render/templates.js';
import type { Logger } from '../runtime/logger.js';
import type { Executor } from '../store/executor.js';
import { getMaintenances } from '../store/maintenances-repo.js';
import { matchingIds, scanSubscribers } from '../subscribers/recipients.js';
import { REMINDER_ATTEMPTS, type ReminderCheck } from './reminders.js';
import { RecipientRejectedError } from '../subscribers/errors.js';
import { applyRejection } from '../subscribers/suppression.js';

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
        const done = new Set(
          (
            await this.deps.db
              .selectFrom('console_maintenance_reminders')
              .select('subscriber_id')
              .where('maintenance_id', '=', m.id)
              .where('subscriber_id', 'in', ids)
              .where('state', '!=', 'pending')
              .execute()
          ).map((r) => r.subscriber_id),
        );
        const todo = ids.filter((id) => !done.has(id));
        const rows = todo.length
          ? await this.deps.db.selectFrom('subscribers').select(['id', 'address']).where('id', 'in', todo).execute()
          : [];
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
    const attempt = await this.claim(m.id, recipient.subscriberId, now);
    if (attempt === 0) return false;
    let state = 'sent';
    let error: string | null = null;
    try {
      await this.deps.channel.sendTo(message, recipient, {
        idempotencyKey: `maintenance-${m.id}-${recipient.subscriberId}`,
        attempt,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      const retry = (err instanceof RetryableError || err instanceof RateLimitedError) && attempt < REMINDER_ATTEMPTS;
      state = retry ? 'pending' : 'failed';
      error = (err as Error).message.slice(0, 500);
      this.deps.logger.warn(
        { maintenanceId: m.id, subscriberId: recipient.subscriberId, err: error },
        'maintenance reminder not sent',
      );
      // A hard bounce here counts as anywhere: the address is suppressed for updates too.
      if (err instanceof RecipientRejectedError)
        await applyRejection(this.deps.db, recipient.subscriberId, err, new Date().toISOString());
    }
    await this.deps.db
      .updateTable('console_maintenance_reminders')
      .set({ state, error, updated_at: new Date().toISOString() })
      .where('maintenance_id', '=', m.id)
      .where('subscriber_id', '=', recipient.subscriberId)
      .execute();
    return state === 'sent';
  }

  /** The attempt number this process may make, or 0 when another has it (or it is done). */
  private async claim(maintenanceId: string, subscriberId: string, now: Date): Promise<number> {
    const at = now.toISOString();
    const inserted = await this.deps.db
      .insertInto('console_maintenance_reminders')
      .values({
        maintenance_id: maintenanceId,
        subscriber_id: subscriberId,
        state: 'sending',
        attempts: 1,
        error: null,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(['maintenance_id', 'subscriber_id']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return 1;
    const row = await this.deps.db
      .selectFrom('console_maintenance_reminders')
      .select('attempts')
      .where('maintenance_id', '=', maintenanceId)
      .where('subscriber_id', '=', subscriberId)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (!row || row.attempts >= REMINDER_ATTEMPTS) return 0;
    const retried = await this.deps.db
      .updateTable('console_maintenance_reminders')
      .set({ state: 'sending', attempts: row.attempts + 1, updated_at: at })
      .where('maintenance_id', '=', maintenanceId)
      .where('subscriber_id', '=', subscriberId)
      .where('state', '=', 'pending')
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    return Number(retried.numUpdatedRows) > 0 ? row.attempts + 1 : 0;
  }
}

/** Reminder counts of each maintenance, for the console (sent / failed / waiting). */
export async function maintenanceReminderCounts(
  db: Executor,
  ids: string[],
): Promise<Map<string, { sent: number; failed: number }>> {
  const out = new Map<string, { sent: number; failed: number }>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('console_maintenance_reminders')
    .select(['maintenance_id', 'state'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('maintenance_id', 'in', ids)
    .groupBy(['maintenance_id', 'state'])
    .execute();
  for (const row of rows) {
    const entry = out.get(row.maintenance_id) ?? { sent: 0, failed: 0 };
    if (row.state === 'sent') entry.sent += Number(row.n);
    if (row.state === 'failed') entry.failed += Number(row.n);
    out.set(row.maintenance_id, entry);
  }
  return out;
}

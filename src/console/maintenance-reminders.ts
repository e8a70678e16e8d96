import {
  type AudienceChannel,
  type Channel,
  type MaintenanceNotice,
  type Recipient,
  isAudienceChannel,
} from '../channels/channel.js';
import { matchingIds } from '../domain/audience.js';
import { nowIso } from '../domain/ids.js';
import type { Maintenance } from '../domain/types.js';
import { classifyFailure } from '../pipeline/failure.js';
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

/** The channel that tells subscribers of a maintenance ahead of time: the first that says it can (email does). */
export function maintenanceNoticeChannelOf(
  channels: ReadonlyArray<Channel>,
): (AudienceChannel & Required<Pick<AudienceChannel, 'maintenanceNotice'>>) | undefined {
  return channels
    .filter(isAudienceChannel)
    .find((c): c is AudienceChannel & Required<Pick<AudienceChannel, 'maintenanceNotice'>> =>
      Boolean(c.maintenanceNotice),
    );
}

/** When the reminder of a maintenance goes out: `leadMinutes` before it starts. */
export const reminderAt = (m: Pick<Maintenance, 'scheduledFor'>, leadMinutes: number) =>
  new Date(Date.parse(m.scheduledFor) - leadMinutes * 60_000).toISOString();

export interface MaintenanceReminderDeps {
  db: Executor;
  channel: AudienceChannel;
  /** The channel's rendering of the notice (its `maintenanceNotice()`). */
  render: (notice: MaintenanceNotice) => unknown;
  leadMinutes: number;
  site: { name: string; url: string };
  logger: Logger;
}

/**
 * Tells confirmed, active subscribers of the notice channel (email) of a scheduled maintenance's components `leadMinutes` before it
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

  private async remind(m: Maintenance, now: Date): Promise<number> {
    const message = this.deps.render({ site: this.deps.site, maintenance: m });
    const affected = new Set(m.components.map((c) => c.id));
    let sent = 0;
    let after: string | null = null;
    for (;;) {
      const page = await scanSubscribers(this.deps.db, this.deps.channel.recipientKind, after, PAGE);
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
                  { subscriberId: row.id, kind: this.deps.channel.recipientKind, address: row.address, secret: null },
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

  private async sendOne(m: Maintenance, message: unknown, recipient: Recipient, now: Date): Promise<boolean> {
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

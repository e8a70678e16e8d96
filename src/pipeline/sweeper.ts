import { nowIso } from '../domain/ids.js';
import type { Logger } from '../runtime/logger.js';
import { PeriodicTask } from '../runtime/periodic.js';
import { markComponentEventDone, unfinishedComponentEvents } from '../store/component-events-repo.js';
import { listUnsettledBefore, recordOutcome } from '../store/deliveries-repo.js';
import type { Store } from '../store/store.js';
import { type DeliveryQueues, componentEventJobId, jobIdFor } from './queues.js';
import { firstPostNotEdited } from './deliver.js';

export interface SweepResult {
  checked: number;
  enqueued: number;
  failed: number;
  /** Failed jobs whose update had been posted (only the edit of the incident's first post was left). */
  delivered: number;
  skipped: number;
}

/**
 * The outbox's safety net. A delivery row that is pending or delivering and has not moved for a while is
 * checked against its job: no job (crash between commit and enqueue, Redis flushed or restarted without
 * persistence) → enqueue it again; a job that BullMQ failed without the worker recording it (stalled too
 * often) → record the failure, or the delivery if the update was posted and only its edit was left. Job ids
 * derive from the row, so a sweep that races a live job adds nothing.
 */
export class OutboxSweeper {
  private readonly periodic: PeriodicTask<SweepResult>;

  constructor(
    private readonly store: Store,
    private readonly queues: DeliveryQueues,
    private readonly logger: Logger,
    private readonly options: { intervalMs?: number; staleAfterMs?: number } = {},
  ) {
    this.periodic = new PeriodicTask(
      () => this.sweep(),
      options.intervalMs ?? 15_000,
      (err) => logger.warn({ err }, 'outbox sweep failed'),
    );
  }

  start(): this {
    this.periodic.start();
    return this;
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  sweepOnce(): Promise<SweepResult> {
    return this.periodic.runOnce();
  }

  private async sweep(): Promise<SweepResult> {
    const result: SweepResult = { checked: 0, enqueued: 0, failed: 0, delivered: 0, skipped: 0 };
    const staleBefore = new Date(Date.now() - (this.options.staleAfterMs ?? 30_000)).toISOString();
    const rows = await listUnsettledBefore(this.store.db, staleBefore);
    const configured = new Set(this.queues.channels());
    for (const row of rows) {
      result.checked++;
      if (!configured.has(row.channel)) {
        await recordOutcome(
          this.store.db,
          row.id,
          row.generation,
          { state: 'skipped', error: `channel '${row.channel}' is no longer configured` },
          nowIso(),
        );
        result.skipped++;
        continue;
      }
      const job = await this.queues.queue(row.channel).getJob(jobIdFor(row));
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'unknown') {
        await this.queues.enqueue(row);
        result.enqueued++;
      } else if (state === 'failed') {
        const reason = job?.failedReason ?? 'job failed';
        if (row.externalId) {
          // An earlier attempt posted the update and recorded it; only its edit of the first post was left.
          await recordOutcome(
            this.store.db,
            row.id,
            row.generation,
            { state: 'delivered', error: firstPostNotEdited(reason), delivered: row.total, failed: 0 },
            nowIso(),
          );
          result.delivered++;
        } else {
          await recordOutcome(
            this.store.db,
            row.id,
            row.generation,
            { state: 'failed', error: reason, failed: row.total },
            nowIso(),
          );
          result.failed++;
        }
      } else if (state === 'completed') {
        // Completed without settling the row (it changed under the job): run it once more.
        await job?.remove();
        await this.queues.enqueue(row);
        result.enqueued++;
      }
    }
    await this.sweepComponentEvents(staleBefore, result);
    if (result.enqueued + result.failed + result.delivered + result.skipped > 0)
      this.logger.info(result, 'outbox sweep repaired deliveries');
    return result;
  }

  /** Component events (changes made outside an update) whose job is missing, or failed for good. */
  private async sweepComponentEvents(staleBefore: string, result: SweepResult): Promise<void> {
    for (const eventId of await unfinishedComponentEvents(this.store.db, staleBefore)) {
      result.checked++;
      const job = await this.queues.componentEvents().getJob(componentEventJobId(eventId));
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'unknown') {
        await this.queues.enqueueComponentEvent(eventId);
        result.enqueued++;
      } else if (state === 'failed' || state === 'completed') {
        // Its recipients keep what each attempt recorded; the event is over.
        await markComponentEventDone(this.store.db, eventId, nowIso());
        if (state === 'failed') result.failed++;
      }
    }
  }
}

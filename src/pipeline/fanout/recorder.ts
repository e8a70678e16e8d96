import type { AudienceChannel } from '../../channels/channel.js';
import { nowIso } from '../../domain/ids.js';
import type { Logger } from '../../runtime/logger.js';
import type { PageKey } from '../../store/fanout-repo.js';
import { type RecipientOutcome, recordRecipientOutcomes } from '../../store/recipient-outcomes.js';
import type { Store } from '../../store/store.js';
import { writeOnceDatabaseAnswers } from '../../store/write-patiently.js';
import { describeError } from '../failure.js';

/** Outcomes written per transaction at most; on SQLite, how long the first of a batch waits for others (ms). */
const RECORD_BATCH_MAX = 64;
const SQLITE_RECORD_BATCH_MS = 5;

/**
 * Records a page's outcomes as they come, in batches (see recordRecipientOutcomes): the counters on the delivery
 * row move with exactly the recipient rows each batch moved.
 */
export class OutcomeRecorder {
  private buffer: RecipientOutcome[] = [];
  private flushing: Promise<void> | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly batchMs: number;
  sent = 0;
  failed = 0;
  skipped = 0;
  retries = 0;
  lastError = '';
  /** A write that kept failing (see writeOnceDatabaseAnswers): the page stops sending and its job retries. */
  writeError: unknown;
  /** A write failed and is being tried again: the database is away (a restart, a failover). */
  waitingForDatabase = false;

  constructor(
    private readonly store: Store,
    private readonly page: PageKey,
    private readonly channel: AudienceChannel,
    private readonly log: Logger,
  ) {
    this.batchMs = store.dialect === 'sqlite' ? SQLITE_RECORD_BATCH_MS : 0;
  }

  /**
   * Outcomes are written in batches of up to RECORD_BATCH_MAX. While a write is on its way to PostgreSQL the next
   * outcomes gather on their own; a SQLite write has no I/O to wait for, so there the first outcome of a batch
   * waits `batchMs` for others (without it, every send had been a transaction of its own). The wait is short
   * because it widens the window in which a killed worker has sent messages it has not recorded.
   */
  push(outcome: RecipientOutcome) {
    this.buffer.push(outcome);
    if (this.flushing) return; // the running drain takes it
    if (this.batchMs === 0 || this.buffer.length >= RECORD_BATCH_MAX) this.startDrain();
    else this.batchTimer ??= setTimeout(() => this.startDrain(), this.batchMs);
  }

  private startDrain() {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    // Caught here and rethrown by flush(): a background write must never become an unhandled rejection.
    if (!this.flushing) this.flushing = this.drain().catch((error: unknown) => void (this.writeError ??= error));
  }

  async flush(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    while (this.flushing) await this.flushing;
    if (this.writeError === undefined && this.buffer.length > 0) {
      this.flushing = this.drain();
      await this.flushing;
    }
    if (this.writeError !== undefined) throw this.writeError;
  }

  private async drain(): Promise<void> {
    try {
      while (this.buffer.length > 0) await this.writePatiently(this.buffer.splice(0, RECORD_BATCH_MAX));
    } finally {
      this.flushing = undefined;
    }
  }

  /** The messages in `batch` are out: their record must land, or the page's retry sends them again. */
  private async writePatiently(batch: RecipientOutcome[]): Promise<void> {
    // A failed write rolled back whole, and writing the batch again moves only rows still 'sending'.
    await writeOnceDatabaseAnswers(
      () => this.write(batch),
      (error, retry) => {
        if (retry === 1)
          this.log.warn(
            { err: describeError(error), unrecorded: batch.length },
            'could not record sent messages; trying again until the database answers',
          );
        this.waitingForDatabase = true;
      },
    );
    if (this.waitingForDatabase)
      this.log.info({ recorded: batch.length }, 'the database answers again; recorded the messages sent meanwhile');
    this.waitingForDatabase = false;
  }

  private async write(batch: RecipientOutcome[]): Promise<void> {
    const recorded = await recordRecipientOutcomes(
      this.store.db,
      this.store.dialect,
      this.page,
      batch,
      nowIso(),
      this.channel.fanout?.quarantineAfter,
    );
    // Counted once the batch is written: a batch written again after a failure must not count twice.
    this.sent += recorded.delivered;
    this.failed += recorded.failed;
    this.skipped += recorded.skipped;
    this.retries += recorded.retries;
    if (recorded.lastError) this.lastError = recorded.lastError;
    for (const q of recorded.quarantined)
      this.log.warn(
        { subscriberId: q.id, failures: q.failures, lastError: q.error },
        'webhook endpoint quarantined after repeated failures; it gets no more deliveries until its owner fixes it and an admin re-adds it',
      );
    for (const r of recorded.refused)
      this.log.warn(
        { subscriberId: r.id, state: r.state, reason: r.reason },
        `subscriber ${r.state}: later updates skip it`,
      );
  }
}

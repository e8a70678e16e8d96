import { setMaxListeners } from 'node:events';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { type QueryCreator, sql } from 'kysely';
import type { AudienceChannel, Recipient, SentRef } from '../channels/channel.js';
import { ChannelError, PermanentError, RateLimitedError } from '../channels/errors.js';
import { SETTLED_DELIVERY_STATES } from '../domain/enums.js';
import { nowIso } from '../domain/ids.js';
import type { Delivery } from '../domain/types.js';
import type { Logger } from '../runtime/logger.js';
import { claimDelivery, getDelivery, recordOutcome } from '../store/deliveries-repo.js';
import type { Executor } from '../store/executor.js';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { listParam, listParams, listShape, prepared } from '../store/prepared.js';
import { writeOnceDatabaseAnswers } from '../store/write-patiently.js';
import { RecipientRejectedError } from '../subscribers/errors.js';
import { matchingIds, scanSubscribers } from '../subscribers/recipients.js';
import { applyRejection } from '../subscribers/suppression.js';
import { loadUpdateContext } from './context.js';
import { workerConnectionOptions, type DeliveryJobData } from './queues.js';
import type { JobResult, WorkerOptions } from './worker.js';

// The audience path. A channel job (the ordinary delivery job of an audience channel) plans: it walks the
// subscribers by keyset pages (ORDER BY id, WHERE id > cursor), writes one recipient row per match
// (UNIQUE (delivery, subscriber)) and one page row, and enqueues one page job per page with an id derived
// from the page's position, so planning again after a crash or a Redis flush adds nothing twice. A page job
// claims its recipients (pending → sending), sends, and records each outcome together with the counters on
// the delivery row in one transaction. The last page to finish settles the delivery row.
// Memory is bounded by the page size, whatever the number of subscribers.

export interface FanoutPageJobData {
  deliveryId: string;
  generation: number;
  seq: number;
}

export const pageQueueName = (channel: string) => `fanout-${channel}`;
export const pageJobId = (deliveryId: string, generation: number, seq: number) =>
  `${deliveryId}-g${generation}-p${seq}`;

/** Subscribers read per keyset step; a page holds the matches of one step. */
export const SCAN_SIZE = 1000;
const CLAIM_CHUNK = 50;
/** Outcomes written per transaction at most; on SQLite, how long the first of a batch waits for others (ms). */
const RECORD_BATCH_MAX = 64;
const SQLITE_RECORD_BATCH_MS = 5;

const defaults = { sendConcurrency: 16, pageConcurrency: 2, attempts: 8, backoffMs: 2_000 };
const tuning = (channel: AudienceChannel) => ({ ...defaults, ...channel.fanout });
const isSettled = (d: Delivery) => SETTLED_DELIVERY_STATES.includes(d.state);

interface FanoutRuntime {
  queues: Map<string, Queue<FanoutPageJobData>>;
  workers: Worker<FanoutPageJobData, JobResult>[];
  rendered: Map<string, unknown>;
}

const runtimes = new WeakMap<WorkerOptions, FanoutRuntime>();

function runtimeFor(options: WorkerOptions): FanoutRuntime {
  let rt = runtimes.get(options);
  if (!rt) {
    rt = { queues: new Map(), workers: [], rendered: new Map() };
    runtimes.set(options, rt);
  }
  return rt;
}

function pageQueue(options: WorkerOptions, channel: string): Queue<FanoutPageJobData> {
  const rt = runtimeFor(options);
  let queue = rt.queues.get(channel);
  if (!queue) {
    queue = new Queue<FanoutPageJobData>(pageQueueName(channel), {
      connection: workerConnectionOptions(options.redisUrl),
      prefix: options.prefix,
    });
    queue.on('error', (err) => options.logger.warn({ channel, err: err.message }, 'fan-out queue error'));
    rt.queues.set(channel, queue);
  }
  return queue;
}

/** Starts one page worker per audience channel (called by DeliveryWorkers.start). */
export function startFanoutWorkers(options: WorkerOptions, channels: ReadonlyArray<AudienceChannel>): void {
  const rt = runtimeFor(options);
  for (const channel of channels) {
    const worker: Worker<FanoutPageJobData, JobResult> = new Worker<FanoutPageJobData, JobResult>(
      pageQueueName(channel.name),
      (job, token) => processPage(options, channel, job, token),
      {
        connection: workerConnectionOptions(options.redisUrl),
        prefix: options.prefix,
        concurrency: tuning(channel).pageConcurrency,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? options.lockDurationMs ?? 30_000,
        maxStalledCount: 5,
      },
    );
    worker.on('error', (err) =>
      options.logger.warn({ channel: channel.name, err: err.message }, 'fan-out worker connection error'),
    );
    rt.workers.push(worker);
  }
}

export async function stopFanoutWorkers(options: WorkerOptions): Promise<void> {
  const rt = runtimes.get(options);
  if (!rt) return;
  await Promise.allSettled(rt.workers.map((w) => w.close()));
  await Promise.allSettled([...rt.queues.values()].map((q) => q.close()));
  runtimes.delete(options);
}

export async function waitForFanoutWorkers(options: WorkerOptions): Promise<void> {
  await Promise.all((runtimes.get(options)?.workers ?? []).map((w) => w.waitUntilReady()));
}

async function renderedFor(options: WorkerOptions, channel: AudienceChannel, updateId: string): Promise<unknown> {
  const rt = runtimeFor(options);
  const key = `${channel.name}/${updateId}`;
  if (rt.rendered.has(key)) return rt.rendered.get(key);
  const rendered = channel.render(await loadUpdateContext(options.store.db, options.site, updateId));
  if (rt.rendered.size >= 32) rt.rendered.delete(rt.rendered.keys().next().value!);
  rt.rendered.set(key, rendered);
  return rendered;
}

// ---------------------------------------------------------------------------------------------------------
// The channel job: plan pages.

export async function processAudienceDelivery(
  options: WorkerOptions,
  channel: AudienceChannel,
  job: Job<DeliveryJobData, JobResult>,
): Promise<JobResult> {
  const { db } = options.store;
  const { deliveryId, generation } = job.data;
  const log = options.logger.child({ channel: channel.name, deliveryId });
  const claimed = (await claimDelivery(db, deliveryId, generation, nowIso()))?.delivery;
  if (!claimed) return { outcome: 'noop', reason: 'nothing to claim: settled, retried or claimed elsewhere' };

  let fanout = await db.selectFrom('fanouts').selectAll().where('delivery_id', '=', deliveryId).executeTakeFirst();
  if (!fanout || Number(fanout.generation) !== generation) {
    await db.transaction().execute(async (tx) => {
      const now = nowIso();
      // A retry (new generation) sends again only to those not reached yet.
      await tx
        .deleteFrom('recipient_deliveries')
        .where('delivery_id', '=', deliveryId)
        .where('state', '!=', 'sent')
        .execute();
      await tx.deleteFrom('fanout_pages').where('delivery_id', '=', deliveryId).execute();
      const sent = await tx
        .selectFrom('recipient_deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('delivery_id', '=', deliveryId)
        .executeTakeFirst();
      const already = Number(sent?.n ?? 0);
      await tx
        .updateTable('deliveries')
        .set({ total: already, delivered: already, failed: 0, updated_at: now })
        .where('id', '=', deliveryId)
        .where('generation', '=', generation)
        .execute();
      await tx.deleteFrom('fanouts').where('delivery_id', '=', deliveryId).execute();
      await tx
        .insertInto('fanouts')
        .values({ delivery_id: deliveryId, generation, cursor: null, pages: 0, planned: 0, updated_at: now })
        .execute();
    });
    fanout = (await db
      .selectFrom('fanouts')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirstOrThrow())!;
  } else {
    // Planned before (crash, Redis flush, sweeper): make sure every unfinished page has its job.
    const repaired = await ensurePageJobs(options, channel, deliveryId, generation);
    if (repaired > 0) log.info({ repaired }, 'fan-out pages re-enqueued');
  }

  const context = await loadUpdateContext(db, options.site, claimed.updateId);
  const affected = new Set(context.incident.components.map((c) => c.id));
  let cursor = fanout.cursor;
  let pages = Number(fanout.pages);
  let planned = Number(fanout.planned) === 1;
  while (!planned) {
    const scanned = await scanSubscribers(db, channel.recipientKind, cursor, SCAN_SIZE);
    const matched = matchingIds(scanned, affected);
    const last = scanned.length > 0 ? scanned[scanned.length - 1]!.id : cursor;
    planned = scanned.length < SCAN_SIZE;
    const after = cursor ?? '';
    const seq = pages;
    const inserted = await db.transaction().execute(async (tx) => {
      const now = nowIso();
      let count = 0;
      for (let i = 0; i < matched.length; i += 250) {
        const result = await tx
          .insertInto('recipient_deliveries')
          .values(
            matched.slice(i, i + 250).map((id) => ({
              delivery_id: deliveryId,
              subscriber_id: id,
              state: 'pending',
              attempts: 0,
              external_id: null,
              error: null,
              updated_at: now,
            })),
          )
          .onConflict((oc) => oc.columns(['delivery_id', 'subscriber_id']).doNothing())
          .executeTakeFirst();
        count += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      if (count > 0) {
        await tx
          .insertInto('fanout_pages')
          .values({ delivery_id: deliveryId, generation, seq, after_id: after, last_id: last!, count, done: 0 })
          .execute();
      }
      await tx
        .updateTable('fanouts')
        .set({ cursor: last, pages: count > 0 ? seq + 1 : seq, planned: planned ? 1 : 0, updated_at: now })
        .where('delivery_id', '=', deliveryId)
        .where('generation', '=', generation)
        .execute();
      await tx
        .updateTable('deliveries')
        .set((eb) => ({ total: eb('total', '+', count), updated_at: now }))
        .where('id', '=', deliveryId)
        .where('generation', '=', generation)
        .execute();
      return count;
    });
    if (inserted > 0) {
      await enqueuePage(options, channel, { deliveryId, generation, seq });
      pages = seq + 1;
    }
    cursor = last;
  }
  const settled = await settleIfDone(db, deliveryId, generation);
  log.debug({ pages, settled }, 'fan-out planned');
  return { outcome: settled === 'skipped' ? 'skipped' : 'noop', reason: `fanned out in ${pages} page(s)` };
}

async function enqueuePage(options: WorkerOptions, channel: AudienceChannel, data: FanoutPageJobData): Promise<void> {
  const { attempts, backoffMs } = tuning(channel);
  await pageQueue(options, channel.name).add('page', data, {
    jobId: pageJobId(data.deliveryId, data.generation, data.seq),
    attempts,
    backoff: { type: 'exponential', delay: backoffMs, jitter: 0.2 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 14 * 24 * 3600 },
  });
}

/**
 * Every unfinished page gets a live job: a missing one (Redis flushed) is added again under its
 * deterministic id; one that BullMQ failed for good (not a recipient error: those are recorded) has its
 * remaining recipients recorded failed. Returns how many pages were repaired.
 */
export async function ensurePageJobs(
  options: WorkerOptions,
  channel: AudienceChannel,
  deliveryId: string,
  generation: number,
): Promise<number> {
  const { db } = options.store;
  const open = await db
    .selectFrom('fanout_pages')
    .select(['seq'])
    .where('delivery_id', '=', deliveryId)
    .where('generation', '=', generation)
    .where('done', '=', 0)
    .orderBy('seq')
    .execute();
  let repaired = 0;
  const queue = pageQueue(options, channel.name);
  for (const { seq } of open) {
    const data = { deliveryId, generation, seq: Number(seq) };
    const job = await queue.getJob(pageJobId(deliveryId, generation, data.seq));
    const state = job ? await job.getState() : 'missing';
    if (state === 'missing' || state === 'unknown') {
      await enqueuePage(options, channel, data);
      repaired++;
    } else if (state === 'completed') {
      await job!.remove();
      await enqueuePage(options, channel, data);
      repaired++;
    } else if (state === 'failed') {
      await failRestOfPage(db, data, `page job failed: ${job?.failedReason ?? 'unknown reason'}`);
      repaired++;
    }
  }
  if (repaired > 0) await settleIfDone(db, deliveryId, generation);
  return repaired;
}

async function failRestOfPage(db: Executor, data: FanoutPageJobData, error: string) {
  const page = await getPage(db, data);
  if (!page) return;
  await db.transaction().execute(async (tx) => {
    const now = nowIso();
    const result = await tx
      .updateTable('recipient_deliveries')
      .set({ state: 'failed', error, updated_at: now })
      .where('delivery_id', '=', data.deliveryId)
      .where('subscriber_id', '>', page.after_id)
      .where('subscriber_id', '<=', page.last_id)
      .where('state', 'in', ['pending', 'sending'])
      .executeTakeFirst();
    const n = Number(result.numUpdatedRows);
    await tx
      .updateTable('deliveries')
      .set((eb) => ({ failed: eb('failed', '+', n), updated_at: now }))
      .where('id', '=', data.deliveryId)
      .where('generation', '=', data.generation)
      .execute();
    await markPageDone(tx, data);
  });
}

const getPage = (db: Executor, data: FanoutPageJobData) =>
  db
    .selectFrom('fanout_pages')
    .selectAll()
    .where('delivery_id', '=', data.deliveryId)
    .where('generation', '=', data.generation)
    .where('seq', '=', data.seq)
    .executeTakeFirst();

const markPageDone = (db: Executor, data: FanoutPageJobData) =>
  db
    .updateTable('fanout_pages')
    .set({ done: 1 })
    .where('delivery_id', '=', data.deliveryId)
    .where('generation', '=', data.generation)
    .where('seq', '=', data.seq)
    .execute();

/** When planning is over and every recipient is recorded, the delivery row ends delivered, partial, failed or skipped. */
export async function settleIfDone(
  db: Executor,
  deliveryId: string,
  generation: number,
): Promise<Delivery['state'] | undefined> {
  const fanout = await db
    .selectFrom('fanouts')
    .select(['generation', 'planned'])
    .where('delivery_id', '=', deliveryId)
    .executeTakeFirst();
  if (!fanout || Number(fanout.generation) !== generation || Number(fanout.planned) !== 1) return undefined;
  const delivery = await getDelivery(db, deliveryId);
  if (!delivery || delivery.generation !== generation) return undefined;
  if (isSettled(delivery)) return delivery.state;
  if (delivery.delivered + delivery.failed < delivery.total) return undefined;
  const { total, delivered, failed } = delivery;
  const state = total === 0 ? 'skipped' : failed === 0 ? 'delivered' : delivered === 0 ? 'failed' : 'partial';
  const error =
    state === 'skipped'
      ? 'no confirmed subscriber matches this update'
      : failed > 0
        ? `${failed} of ${total} recipient(s) failed; see the server log for reasons`
        : null;
  await recordOutcome(db, deliveryId, generation, { state, error }, nowIso());
  return state;
}

// ---------------------------------------------------------------------------------------------------------
// The page job: claim, send, record.

type Outcome =
  | { kind: 'sent'; id: string; ref: SentRef }
  | { kind: 'failed'; id: string; error: string; rejected?: RecipientRejectedError }
  | { kind: 'retry'; id: string; error: string }
  | { kind: 'skipped'; id: string };

export async function processPage(
  options: WorkerOptions,
  channel: AudienceChannel,
  job: Job<FanoutPageJobData, JobResult>,
  token: string | undefined,
): Promise<JobResult> {
  const { db } = options.store;
  const data = job.data;
  const log = options.logger.child({ channel: channel.name, deliveryId: data.deliveryId, page: data.seq });
  const delivery = await getDelivery(db, data.deliveryId);
  if (!delivery || delivery.generation !== data.generation)
    return { outcome: 'noop', reason: 'stale page: the delivery was retried or removed' };
  if (isSettled(delivery)) return { outcome: 'noop', reason: `already ${delivery.state}` };
  const page = await getPage(db, data);
  if (!page) return { outcome: 'noop', reason: 'page not found' };
  if (Number(page.done) === 1) {
    await settleIfDone(db, data.deliveryId, data.generation);
    return { outcome: 'noop', reason: 'page already done' };
  }

  const t = tuning(channel);
  const lockMs = options.lockDurationMs ?? 30_000;
  const final = job.attemptsMade + 1 >= (job.opts.attempts ?? t.attempts);
  const rendered = await renderedFor(options, channel, delivery.updateId);
  const rows = await db
    .selectFrom('recipient_deliveries as r')
    .leftJoin('subscribers as s', 's.id', 'r.subscriber_id')
    .select([
      'r.subscriber_id',
      'r.state',
      'r.updated_at',
      'r.attempts',
      's.id as sid',
      's.kind',
      's.address',
      's.secret',
      's.state as sstate',
      's.confirmed_at',
    ])
    .where('r.delivery_id', '=', data.deliveryId)
    .where('r.subscriber_id', '>', page.after_id)
    .where('r.subscriber_id', '<=', page.last_id)
    .where('r.state', 'in', ['pending', 'sending'])
    .orderBy('r.subscriber_id')
    .execute();

  const recorder = new OutcomeRecorder(db, data, channel, log, options.store.dialect);
  // A row left 'sending' by a crashed attempt may have gone out: it is sent again (at least once), but only
  // once its claim is older than a job lock, so a still-running copy of this page is never doubled.
  const freshBefore = new Date(Date.now() - lockMs).toISOString();
  const toSend: typeof rows = [];
  let deferred = 0;
  for (const row of rows) {
    if (!row.sid || row.sstate !== 'active' || row.confirmed_at === null)
      recorder.push({ kind: 'skipped', id: row.subscriber_id });
    else if (row.state === 'sending' && row.updated_at > freshBefore) deferred++;
    else toSend.push(row);
  }

  let rateLimitedUntil: number | undefined;
  const abort = new AbortController();
  // Every send in flight listens on this one signal (fetch adds a listener each).
  setMaxListeners(t.sendConcurrency + 10, abort.signal);
  try {
    for (
      let i = 0;
      i < toSend.length && rateLimitedUntil === undefined && recorder.writeError === undefined;
      i += CLAIM_CHUNK
    ) {
      // While the database is away, claim nothing more: wait until what was sent is recorded (or the page gives up).
      if (recorder.waitingForDatabase) await recorder.flush().catch(() => undefined);
      if (recorder.writeError !== undefined) break;
      // Claim only what is still as we saw it (pending, or left 'sending' by a crash long enough ago), and send
      // only what this claim returned: a second copy of the page (a lock that lapsed under load) gets nothing.
      const seen = toSend.slice(i, i + CLAIM_CHUNK);
      const claimed = await db
        .updateTable('recipient_deliveries')
        .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1), updated_at: nowIso() }))
        .where('delivery_id', '=', data.deliveryId)
        .where(
          'subscriber_id',
          'in',
          seen.map((r) => r.subscriber_id),
        )
        .where((eb) =>
          eb.or([
            eb('state', '=', 'pending'),
            eb.and([eb('state', '=', 'sending'), eb('updated_at', '<=', freshBefore)]),
          ]),
        )
        .returning('subscriber_id')
        .execute();
      const mine = new Set(claimed.map((r) => r.subscriber_id));
      const chunk = seen.filter((r) => mine.has(r.subscriber_id));
      await runPool(chunk, t.sendConcurrency, async (row) => {
        if (rateLimitedUntil !== undefined) {
          recorder.push({
            kind: 'retry',
            id: row.subscriber_id,
            error: 'not sent: the provider rate-limited this channel',
          });
          return;
        }
        const recipient: Recipient = {
          subscriberId: row.subscriber_id,
          kind: row.kind as Recipient['kind'],
          address: row.address!,
          secret: row.secret ?? null,
        };
        try {
          const ref = await channel.sendTo(rendered, recipient, {
            idempotencyKey: `${data.deliveryId}-${row.subscriber_id}`,
            attempt: Number(row.attempts) + 1,
            signal: abort.signal,
          });
          recorder.push({ kind: 'sent', id: row.subscriber_id, ref });
        } catch (error) {
          if (error instanceof RateLimitedError) {
            rateLimitedUntil = Math.max(rateLimitedUntil ?? 0, error.untilMs);
            recorder.push({ kind: 'retry', id: row.subscriber_id, error: error.message });
          } else if (error instanceof PermanentError) {
            recorder.push({
              kind: 'failed',
              id: row.subscriber_id,
              error: error.message,
              rejected: error instanceof RecipientRejectedError ? error : undefined,
            });
          } else {
            const message = describe(error);
            recorder.push(
              final
                ? { kind: 'failed', id: row.subscriber_id, error: message }
                : { kind: 'retry', id: row.subscriber_id, error: message },
            );
          }
        }
      });
    }
  } catch (error) {
    // Whatever stopped the page (a claim that met a database restart, say), what it sent is recorded first:
    // otherwise its retry would send those messages again.
    await recorder.flush().catch(() => undefined);
    throw error;
  }
  await recorder.flush();

  if (rateLimitedUntil !== undefined) {
    log.warn(
      { until: new Date(rateLimitedUntil).toISOString() },
      'rate-limited by the provider; the page waits without spending an attempt',
    );
    await job.moveToDelayed(Math.max(rateLimitedUntil, Date.now() + 1), token);
    throw new DelayedError();
  }
  if (recorder.retries > 0) {
    throw new Error(
      `${recorder.retries} recipient(s) failed retryably (last: ${recorder.lastError}); retrying the page`,
    );
  }
  if (deferred > 0) {
    await job.moveToDelayed(Date.now() + lockMs, token);
    throw new DelayedError();
  }
  await markPageDone(db, data);
  await settleIfDone(db, data.deliveryId, data.generation);
  return {
    outcome: 'delivered',
    reason: `page ${data.seq}: ${recorder.sent} sent, ${recorder.failed} failed, ${recorder.skipped} skipped`,
  };
}

/**
 * Records outcomes as they come, in batches: one transaction (on PostgreSQL, for a batch of plain sends, one
 * statement) moves the recipient rows out of 'sending' and adds exactly the rows it moved to the delivery row's
 * counters, so the counters never drift, even when an attempt dies between a send and its record.
 */
class OutcomeRecorder {
  private buffer: Outcome[] = [];
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
    private readonly db: WorkerOptions['store']['db'],
    private readonly data: FanoutPageJobData,
    private readonly channel: AudienceChannel,
    private readonly log: Logger,
    private readonly dialect: Dialect,
  ) {
    this.batchMs = dialect === 'sqlite' ? SQLITE_RECORD_BATCH_MS : 0;
  }

  /**
   * Outcomes are written in batches of up to RECORD_BATCH_MAX. While a write is on its way to PostgreSQL the next
   * outcomes gather on their own; a SQLite write has no I/O to wait for, so there the first outcome of a batch
   * waits `batchMs` for others (without it, every send had been a transaction of its own). The wait is short
   * because it widens the window in which a killed worker has sent messages it has not recorded.
   */
  push(outcome: Outcome) {
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
  private async writePatiently(batch: Outcome[]): Promise<void> {
    // A failed write rolled back whole, and writing the batch again moves only rows still 'sending'.
    await writeOnceDatabaseAnswers(
      () => this.write(batch),
      (error, retry) => {
        if (retry === 1)
          this.log.warn(
            { err: describe(error), unrecorded: batch.length },
            'could not record sent messages; trying again until the database answers',
          );
        this.waitingForDatabase = true;
      },
    );
    if (this.waitingForDatabase)
      this.log.info({ recorded: batch.length }, 'the database answers again; recorded the messages sent meanwhile');
    this.waitingForDatabase = false;
  }

  private async write(batch: Outcome[]): Promise<void> {
    const { deliveryId, generation } = this.data;
    const quarantineAfter = this.channel.fanout?.quarantineAfter;
    if (this.dialect === 'postgres' && !quarantineAfter && batch.every((o) => o.kind === 'sent' && !o.ref.externalId)) {
      // The common batch (messages sent, no provider id to keep) in one statement: one round trip instead of four
      // (BEGIN, two updates, COMMIT), which also narrows the window in which sent messages are not yet recorded.
      const [row] = (
        await markSentAndCount<{ moved: string | number }>(this.db, {
          deliveryId,
          generation: String(generation),
          now: nowIso(),
          ...listParams(
            'id',
            batch.map((o) => o.id),
          ),
        })
      ).rows;
      this.sent += Number(row?.moved ?? 0);
      return;
    }
    let delivered = 0;
    let failed = 0;
    let skipped = 0;
    let retries = 0;
    let lastError = '';
    await this.db.transaction().execute(async (tx) => {
      const now = nowIso();

      // Webhook endpoints: consecutive failures quarantine; a success resets the count.
      if (quarantineAfter) {
        const succeeded = batch.filter((o) => o.kind === 'sent').map((o) => o.id);
        if (succeeded.length > 0) {
          await tx
            .updateTable('subscribers')
            .set({ failure_count: 0, last_error: null })
            .where('id', 'in', succeeded)
            .where('failure_count', '>', 0)
            .execute();
        }
        for (const o of batch) {
          if (o.kind !== 'retry' && o.kind !== 'failed') continue;
          await tx
            .updateTable('subscribers')
            .set((eb) => ({
              failure_count: eb('failure_count', '+', 1),
              last_error: o.error.slice(0, 500),
              updated_at: now,
            }))
            .where('id', '=', o.id)
            .execute();
          const sub = await tx
            .selectFrom('subscribers')
            .select(['failure_count', 'state'])
            .where('id', '=', o.id)
            .executeTakeFirst();
          if (sub && sub.state === 'active' && Number(sub.failure_count) >= quarantineAfter) {
            await tx
              .updateTable('subscribers')
              .set({ state: 'quarantined', updated_at: now })
              .where('id', '=', o.id)
              .execute();
            this.log.warn(
              { subscriberId: o.id, failures: Number(sub.failure_count), lastError: o.error },
              'webhook endpoint quarantined after repeated failures; it gets no more deliveries until its owner fixes it and an admin re-adds it',
            );
          }
          if (
            sub &&
            (sub.state === 'quarantined' || Number(sub.failure_count) >= quarantineAfter) &&
            o.kind === 'retry'
          ) {
            Object.assign(o, {
              kind: 'failed',
              error: `endpoint quarantined after repeated failures (last: ${o.error})`,
            });
          }
        }
      }

      const sentPlain = batch.filter((o): o is Extract<Outcome, { kind: 'sent' }> => o.kind === 'sent');
      const withRef = sentPlain.filter((o) => o.ref.externalId);
      const noRef = sentPlain.filter((o) => !o.ref.externalId).map((o) => o.id);
      if (noRef.length > 0) {
        const r = await markSent(tx, { deliveryId, now, ...listParams('id', noRef) });
        delivered += Number(r.numAffectedRows ?? 0);
      }
      for (const o of withRef) {
        const r = await tx
          .updateTable('recipient_deliveries')
          .set({ state: 'sent', external_id: o.ref.externalId ?? null, updated_at: now })
          .where('delivery_id', '=', deliveryId)
          .where('subscriber_id', '=', o.id)
          .where('state', '=', 'sending')
          .executeTakeFirst();
        delivered += Number(r.numUpdatedRows);
      }
      for (const o of batch) {
        if (o.kind === 'failed') {
          const r = await tx
            .updateTable('recipient_deliveries')
            .set({ state: 'failed', error: o.error.slice(0, 1000), updated_at: now })
            .where('delivery_id', '=', deliveryId)
            .where('subscriber_id', '=', o.id)
            .where('state', 'in', ['pending', 'sending'])
            .executeTakeFirst();
          failed += Number(r.numUpdatedRows);
          const state = o.rejected ? await applyRejection(tx, o.id, o.rejected, now) : undefined;
          if (state)
            this.log.warn({ subscriberId: o.id, state, reason: o.error }, `subscriber ${state}: later updates skip it`);
        } else if (o.kind === 'retry') {
          await tx
            .updateTable('recipient_deliveries')
            .set({ state: 'pending', error: o.error.slice(0, 1000), updated_at: now })
            .where('delivery_id', '=', deliveryId)
            .where('subscriber_id', '=', o.id)
            .where('state', '=', 'sending')
            .execute();
          retries++;
          lastError = o.error;
        } else if (o.kind === 'skipped') {
          const r = await tx
            .updateTable('recipient_deliveries')
            .set({
              state: 'skipped',
              error: 'unsubscribed, suppressed or disabled since the update was published',
              updated_at: now,
            })
            .where('delivery_id', '=', deliveryId)
            .where('subscriber_id', '=', o.id)
            .where('state', 'in', ['pending', 'sending'])
            .executeTakeFirst();
          skipped += Number(r.numUpdatedRows);
        }
      }
      if (delivered + failed + skipped > 0)
        await addToCounters(tx, { deliveryId, generation, delivered, failed, skipped, now });
    });
    // Counted once the batch is written: a batch written again after a failure must not count twice.
    this.sent += delivered;
    this.failed += failed;
    this.skipped += skipped;
    this.retries += retries;
    if (lastError) this.lastError = lastError;
  }
}

/** Moves a batch's recipient rows that went out (no provider id to keep) from 'sending' to 'sent'. */
const sentRowsUpdate = (db: QueryCreator<Database>, p: Record<string, string>) =>
  db
    .updateTable('recipient_deliveries')
    .set({ state: 'sent', updated_at: p.now! })
    .where('delivery_id', '=', p.deliveryId!)
    .where('subscriber_id', 'in', listParam(p, 'id'))
    .where('state', '=', 'sending');

/** One statement per batch. */
const markSent = prepared(sentRowsUpdate, listShape('id'));

/**
 * PostgreSQL: markSent and addToCounters as one statement (data-modifying CTEs), answering how many rows moved.
 * Both updates run whatever the other matches, as in the transaction they replace.
 */
const markSentAndCount = prepared(
  (db, p: Record<string, string>) =>
    db
      .with('moved', (db) => sentRowsUpdate(db, p).returning('subscriber_id'))
      .with('counted', (db) =>
        db
          .updateTable('deliveries')
          .set((eb) => ({
            delivered: eb(
              'delivered',
              '+',
              eb.selectFrom('moved').select((m) => m.fn.countAll<number>().as('n')),
            ),
            updated_at: p.now!,
          }))
          .where('id', '=', p.deliveryId!)
          .where('generation', '=', sql<number>`cast(${p.generation!} as integer)`)
          .returning('id'),
      )
      .selectFrom('moved')
      .select((eb) => eb.fn.countAll().as('moved')),
  listShape('id'),
);

/** Adds exactly the recipient rows a batch moved to the delivery row's counters. */
const addToCounters = prepared(
  (
    tx,
    p: { deliveryId: string; generation: number; delivered: number; failed: number; skipped: number; now: string },
  ) =>
    tx
      .updateTable('deliveries')
      .set((eb) => ({
        delivered: eb('delivered', '+', p.delivered),
        failed: eb('failed', '+', p.failed),
        total: eb('total', '-', p.skipped),
        updated_at: p.now,
      }))
      .where('id', '=', p.deliveryId)
      .where('generation', '=', p.generation),
);

async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

function describe(error: unknown): string {
  if (error instanceof ChannelError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

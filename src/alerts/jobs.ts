import { type ConnectionOptions, type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Draft } from '../domain/drafts.js';
import { StateConflictError } from '../domain/errors.js';
import type { EngineJob } from '../pipeline/engine.js';
import type { PublishDeps } from '../pipeline/publish.js';
import { withTimeout } from '../pipeline/queues.js';
import type { Logger } from '../runtime/logger.js';
import { getDraft, holdingStatementsDue } from '../store/drafts-repo.js';
import { publishDraft } from './drafts.js';
import type { AlertMetrics } from './metrics.js';
import type { Pager, PageOutcome } from './paging.js';

// The engine's alert jobs: a holding statement per draft (delayed until its time) and the commanders' page per
// draft. Both have ids derived from the draft, so every process that asks adds one job; the holding statement
// is published in the same transaction that moves the draft out of 'draft', so it goes out once whatever runs it.

export const HOLDING_QUEUE = 'alert-holding';
export const PAGES_QUEUE = 'alert-pages';

export interface HoldingJobData {
  draftId: string;
  /** The draft's autopublish_at this job was scheduled for: a draft revived with a new time gets a new job. */
  at: string;
}
export interface PageJobData {
  draftId: string;
}

export const holdingJobId = (draftId: string, at: string) => `holding-${draftId}-${Date.parse(at)}`;

/** The producer side, in every process that takes alerts. */
export class AlertQueues {
  readonly holding: Queue<HoldingJobData>;
  readonly pages: Queue<PageJobData>;

  constructor(connection: Redis, prefix: string) {
    const options = { connection: connection as ConnectionOptions, prefix };
    this.holding = new Queue<HoldingJobData>(HOLDING_QUEUE, options);
    this.pages = new Queue<PageJobData>(PAGES_QUEUE, options);
    this.holding.on('error', () => undefined); // surfaced by the calls instead
    this.pages.on('error', () => undefined);
  }

  /** Schedules the draft's holding statement at its time (now or later); again for a failed job of that time. */
  async scheduleHolding(draft: Pick<Draft, 'id' | 'autoPublishAt'>, timeoutMs = 3_000): Promise<void> {
    if (!draft.autoPublishAt) return;
    const jobId = holdingJobId(draft.id, draft.autoPublishAt);
    const existing = await withTimeout(this.holding.getJob(jobId), timeoutMs, 'queue lookup timed out');
    if (existing) {
      if (await existing.isFailed()) await existing.retry();
      return;
    }
    await withTimeout(
      this.holding.add(
        'holding',
        { draftId: draft.id, at: draft.autoPublishAt },
        {
          jobId,
          delay: Math.max(0, Date.parse(draft.autoPublishAt) - Date.now()),
          attempts: 10,
          backoff: { type: 'exponential', delay: 1_000, jitter: 0.3 },
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 14 * 24 * 3600 },
        },
      ),
      timeoutMs,
      'enqueue timed out',
    );
  }

  async page(draftId: string, timeoutMs = 3_000): Promise<void> {
    await withTimeout(
      this.pages.add(
        'page',
        { draftId },
        {
          jobId: `page-${draftId}`,
          attempts: 5,
          backoff: { type: 'exponential', delay: 2_000, jitter: 0.3 },
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 14 * 24 * 3600 },
        },
      ),
      timeoutMs,
      'enqueue timed out',
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.holding.close(), this.pages.close()]);
  }
}

/** "We are investigating reports of problems with API and Checkout." */
export function holdingStatement(
  draft: Pick<Draft, 'components'>,
  siteName: string,
): { title: string; message: string } {
  const names = draft.components.map((c) => c.name);
  const what =
    names.length === 0
      ? siteName
      : names.length === 1
        ? names[0]!
        : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return {
    title: `Investigating problems with ${what}`.slice(0, 255),
    message: `We are investigating reports of problems with ${what}. We will post an update as soon as we know more.`,
  };
}

export interface AlertJobDeps {
  publishDeps: PublishDeps;
  queues: AlertQueues;
  metrics: AlertMetrics;
  siteName: string;
  logger: Logger;
  /** How often drafts past their holding time are looked for (a job lost with Redis is scheduled again). */
  sweepMs?: number;
}

type HoldingOutcome = { outcome: 'published' | 'noop' | 'swept'; reason?: string; updateId?: string };

/** The holding statement's job (and, every `sweepMs`, the sweep that schedules any that are due and missing). */
export function holdingJob(deps: AlertJobDeps): EngineJob<HoldingJobData | Record<string, never>, HoldingOutcome> {
  return {
    queue: HOLDING_QUEUE,
    concurrency: 4,
    every: { ms: deps.sweepMs ?? 60_000, name: 'sweep' },
    process: (job) =>
      job.name === 'sweep' ? sweep(deps) : publishHolding(deps, job as Job<HoldingJobData, HoldingOutcome>),
  };
}

async function publishHolding(deps: AlertJobDeps, job: Job<HoldingJobData, HoldingOutcome>): Promise<HoldingOutcome> {
  const { draftId, at } = job.data;
  const draft = await getDraft(deps.publishDeps.store.db, draftId);
  if (!draft) return { outcome: 'noop', reason: 'no such draft' };
  if (draft.state !== 'draft') return { outcome: 'noop', reason: `the draft was ${draft.state}` };
  if (draft.autoPublishAt !== at) return { outcome: 'noop', reason: 'the draft has another holding time now' };
  if (Date.parse(at) > Date.now() + 1_000) return { outcome: 'noop', reason: 'not due yet' };
  const { title, message } = holdingStatement(draft, deps.siteName);
  try {
    const published = await publishDraft(
      deps.publishDeps,
      draftId,
      { title, message, status: 'investigating', ...(draft.channels ? { channels: draft.channels } : {}) },
      'holding',
    );
    deps.metrics.published(draft, 'holding');
    deps.logger.info({ draftId, updateId: published.update.id }, 'holding statement published for an untouched draft');
    return { outcome: 'published', updateId: published.update.id };
  } catch (error) {
    // A commander published or dismissed it in the same moment: theirs stands.
    if (error instanceof StateConflictError) return { outcome: 'noop', reason: error.message };
    throw error;
  }
}

async function sweep(deps: AlertJobDeps): Promise<HoldingOutcome> {
  const due = await holdingStatementsDue(deps.publishDeps.store.db, new Date().toISOString());
  for (const draft of due) await deps.queues.scheduleHolding(draft);
  return { outcome: 'swept', reason: `${due.length} due` };
}

/** The commanders' page of a new draft: chat webhook and email (see ./paging.ts). */
export function pageJob(pager: Pager): EngineJob<PageJobData, PageOutcome> {
  return {
    queue: PAGES_QUEUE,
    concurrency: 2,
    process: (job) => pager.page(job.data.draftId, job.attemptsMade + 1 >= (job.opts.attempts ?? 1)),
  };
}

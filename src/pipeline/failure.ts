import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import {
  ChannelError,
  DuplicatePostError,
  OutcomeUnknownError,
  PermanentError,
  RateLimitedError,
  RecipientRejectedError,
} from '../channels/errors.js';

// The one place that turns what a send threw into what happens next: the state its row records and what the queue
// does with its job. Every sender of the engine (channel deliveries, audience pages, confirmations, reminders)
// asks here; none decides a retry on its own.
//   RateLimitedError(until) → wait until then without spending an attempt
//   PermanentError          → fail now (RecipientRejectedError: and the recipient is refused for good)
//   RetryableError, and anything unexpected → back off and retry, until the last attempt fails
//   OutcomeUnknownError     → as RetryableError; the row remembers the outcome is unknown, so the next attempt
//                             looks the post up first (see ./lookup.ts)

/** Where a job stands in its attempts: how many were made before this one, and how many it has. */
export interface Attempts {
  made: number;
  max: number;
}

export type Failure =
  | { action: 'wait'; untilMs: number; message: string }
  | { action: 'retry'; message: string; outcomeUnknown: boolean }
  | {
      action: 'fail';
      message: string;
      outcomeUnknown: boolean;
      /** The provider refused a recipient for good: its subscriber is suppressed or disabled. */
      rejected?: RecipientRejectedError;
      /** The platform refused a copy of a post already there (see DuplicatePostError). */
      duplicate: boolean;
    };

export interface FailurePolicy {
  /**
   * Retry a send whose outcome is unknown (default). A sender with no way to look and no idempotency (the
   * commanders' chat reminder) says false: a second copy is worse than none, so the attempt fails.
   */
  retryUnknownOutcome?: boolean;
}

export function classifyFailure(error: unknown, attempts: Attempts, policy: FailurePolicy = {}): Failure {
  const message = describeError(error);
  if (error instanceof RateLimitedError) return { action: 'wait', untilMs: error.untilMs, message };
  const outcomeUnknown = error instanceof OutcomeUnknownError;
  const permanent = error instanceof PermanentError || (outcomeUnknown && policy.retryUnknownOutcome === false);
  if (permanent || attempts.made + 1 >= attempts.max) {
    return {
      action: 'fail',
      message,
      outcomeUnknown,
      rejected: error instanceof RecipientRejectedError ? error : undefined,
      duplicate: error instanceof DuplicatePostError,
    };
  }
  return { action: 'retry', message, outcomeUnknown };
}

/** The attempts of a BullMQ job, as classifyFailure reads them. */
export const jobAttempts = (job: Job, fallbackMax = 1): Attempts => ({
  made: job.attemptsMade,
  max: job.opts.attempts ?? fallbackMax,
});

/** A delivery row after a failed attempt, as ./deliver.ts records it. */
export interface DeliveryRowAfterFailure {
  state: 'pending' | 'delivering' | 'failed' | 'delivered';
  error: string;
  rateLimitedUntil?: string;
}

/**
 * The row a failed attempt leaves. `delivering` between attempts means an attempt's outcome is still unknown: the
 * next one looks the post up before posting. `previousUnknown`: this attempt followed such an outcome and could not
 * settle it (its look-up was refused or did not answer), so it stays unknown, and a duplicate refusal means that
 * earlier post is there (delivered, its id unknown).
 */
export function deliveryRowAfter(failure: Failure, previousUnknown: boolean): DeliveryRowAfterFailure {
  if (failure.action === 'wait') {
    const until = new Date(Math.max(failure.untilMs, Date.now())).toISOString();
    const state = previousUnknown ? 'delivering' : 'pending';
    return { state, error: `rate-limited until ${until}: ${failure.message}`, rateLimitedUntil: until };
  }
  if (failure.action === 'retry')
    return { state: failure.outcomeUnknown || previousUnknown ? 'delivering' : 'pending', error: failure.message };
  if (failure.duplicate && previousUnknown) return { state: 'delivered', error: duplicateNote(failure.message) };
  return { state: 'failed', error: failure.message };
}

/** The note a delivered row keeps when the platform refused a retry as a copy of the post already there. */
export const duplicateNote = (reason: string) =>
  `delivered: the platform refused a retry as a duplicate, so the earlier attempt's post is there; its id is unknown (${reason})`;

/**
 * Tells BullMQ what to do with the job after `failure`, by throwing what its worker understands. A wait pauses the
 * whole queue (`scope: 'queue'`: a provider's rate limit is the account's) or only this job (`'job'`).
 */
export async function failJob(
  failure: Failure,
  queue: { worker: Worker; job: Job; token: string | undefined; scope: 'queue' | 'job' },
  error?: unknown,
): Promise<never> {
  if (failure.action === 'wait') {
    if (queue.scope === 'queue') {
      await queue.worker.rateLimit(Math.max(failure.untilMs - Date.now(), 1));
      throw Worker.RateLimitError();
    }
    return waitWithoutAttempt(queue.job, queue.token, failure.untilMs);
  }
  if (failure.action === 'fail') throw new UnrecoverableError(failure.message);
  throw error instanceof Error ? error : new Error(failure.message);
}

/** Puts the job back until `untilMs` without spending an attempt (a reply waiting for its predecessor, say). */
export async function waitWithoutAttempt(job: Job, token: string | undefined, untilMs: number): Promise<never> {
  await job.moveToDelayed(Math.max(untilMs, Date.now() + 1), token);
  throw new DelayedError();
}

/** A channel's own words for its typed errors; the error's kind and text for anything else. */
export function describeError(error: unknown): string {
  if (error instanceof ChannelError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

import { describe, expect, it } from 'vitest';
import {
  DuplicatePostError,
  OutcomeUnknownError,
  PermanentError,
  RateLimitedError,
  RecipientRejectedError,
  RetryableError,
  noAnswerError,
} from '../../src/channels/errors.js';
import { classifyFailure, deliveryRowAfter } from '../../src/pipeline/failure.js';

const first = { made: 0, max: 3 };
const last = { made: 2, max: 3 };

describe('the one failure rule', () => {
  it('turns each typed error into the queue action', () => {
    expect(classifyFailure(new RateLimitedError(5_000, '429'), last)).toEqual({
      action: 'wait',
      untilMs: 5_000,
      message: '429',
    });
    expect(classifyFailure(new RetryableError('503'), first)).toMatchObject({ action: 'retry', outcomeUnknown: false });
    expect(classifyFailure(new RetryableError('503'), last)).toMatchObject({ action: 'fail', outcomeUnknown: false });
    expect(classifyFailure(new PermanentError('401'), first)).toMatchObject({ action: 'fail', duplicate: false });
    expect(classifyFailure(new OutcomeUnknownError('timeout'), first)).toMatchObject({
      action: 'retry',
      outcomeUnknown: true,
    });
    // Something unexpected is retried, never dropped.
    expect(classifyFailure(new TypeError('bug'), first)).toMatchObject({ action: 'retry', message: 'TypeError: bug' });
    const rejected = new RecipientRejectedError('550', 'suppress', 'h');
    expect(classifyFailure(rejected, first)).toMatchObject({ action: 'fail', rejected });
  });

  it('a sender without a look-up can refuse to retry an unknown outcome', () => {
    expect(classifyFailure(new OutcomeUnknownError('timeout'), first, { retryUnknownOutcome: false })).toMatchObject({
      action: 'fail',
      outcomeUnknown: true,
    });
  });

  it('the row remembers an unknown outcome, and a duplicate refusal after one is a delivery', () => {
    expect(deliveryRowAfter(classifyFailure(new OutcomeUnknownError('timeout'), first), false).state).toBe(
      'delivering',
    );
    expect(deliveryRowAfter(classifyFailure(new RetryableError('503'), first), false).state).toBe('pending');
    // A look-up that could not tell, then a 429 on the post: the earlier outcome is still unknown.
    const waiting = deliveryRowAfter(classifyFailure(new RateLimitedError(Date.now() + 1_000), first), true);
    expect(waiting.state).toBe('delivering');
    expect(waiting.rateLimitedUntil).toBeTruthy();
    const duplicate = classifyFailure(new DuplicatePostError('duplicate content'), first);
    expect(deliveryRowAfter(duplicate, true)).toMatchObject({ state: 'delivered' });
    expect(deliveryRowAfter(duplicate, true).error).toMatch(/id is unknown/);
    expect(deliveryRowAfter(duplicate, false).state).toBe('failed');
  });

  it('a request that never left is a plain retry; one that went out and got no answer has an unknown outcome', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(noAnswerError('x', refused)).not.toBeInstanceOf(OutcomeUnknownError);
    expect(noAnswerError('x', refused)).toBeInstanceOf(RetryableError);
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(noAnswerError('x', reset)).toBeInstanceOf(OutcomeUnknownError);
    expect(noAnswerError('x', new DOMException('aborted', 'TimeoutError'))).toBeInstanceOf(OutcomeUnknownError);
  });
});

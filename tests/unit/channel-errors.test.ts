import { describe, expect, it } from 'vitest';
import { ChannelError, PermanentError, RateLimitedError, RetryableError } from '../../src/channels/errors.js';
import { RecipientRejectedError } from '../../src/channels/errors.js';

describe('typed channel errors', () => {
  it('instanceof follows the class hierarchy', () => {
    const rejected = new RecipientRejectedError('550 no such user', 'suppress');
    expect(rejected).toBeInstanceOf(RecipientRejectedError);
    expect(rejected).toBeInstanceOf(PermanentError);
    expect(rejected).toBeInstanceOf(ChannelError);
    expect(rejected).toBeInstanceOf(Error);
    expect(rejected).not.toBeInstanceOf(RetryableError);
    expect(new RetryableError('x')).not.toBeInstanceOf(PermanentError);
    expect(new Error('plain')).not.toBeInstanceOf(ChannelError);
    expect(null).not.toBeInstanceOf(ChannelError);
    expect(new RateLimitedError(5, 'limited').untilMs).toBe(5);
  });

  it('recognises errors thrown by another copy of the module (a config loaded in its own module graph)', async () => {
    // A second, independent instance of errors.ts, as a config compiled on the side would have.
    // @ts-expect-error -- TypeScript has no types for a query-string specifier; Vite loads it as its own module.
    const copy = (await import('../../src/channels/errors.ts?copy')) as typeof import('../../src/channels/errors.js');
    expect(copy.PermanentError).not.toBe(PermanentError);
    const foreign = new copy.PermanentError('invalid_auth');
    expect(foreign).toBeInstanceOf(PermanentError);
    expect(foreign).toBeInstanceOf(ChannelError);
    expect(foreign).not.toBeInstanceOf(RetryableError);
    const limited = new copy.RateLimitedError(123, '429');
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).untilMs).toBe(123);
  });
});

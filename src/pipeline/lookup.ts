import type { Channel, SendTarget, SentRef } from '../channels/channel.js';
import { OutcomeUnknownError, PermanentError } from '../channels/errors.js';
import type { Logger } from '../runtime/logger.js';
import { type Attempts, describeError } from './failure.js';

// Look-up before posting again: a capability the engine drives. Only an attempt whose outcome is unknown (it died
// mid-send, or its request went out and no answer came) can have posted, so only then does the next attempt ask
// the platform (channel.reconcile) before posting. After a definite refusal (429, 4xx, 5xx) there is nothing to
// find. A look-up never turns a sendable update into a failure: one the platform refuses (401, 403, 404, X's Free
// access level) falls back to posting, and so does one that cannot answer on the last attempt.

export interface Posted {
  sent: SentRef;
  /** An earlier attempt's outcome is still unknown (the look-up could not tell): a duplicate refusal means it landed. */
  earlierUnknown: boolean;
}

/**
 * Posts, unless an earlier attempt whose outcome is unknown had posted already (the platform is asked first). On a
 * failure the thrown error carries `earlierUnknown` (see EarlierUnknown) so the row keeps what is still not known.
 */
export async function lookUpThenSend<R>(
  channel: Channel<R>,
  rendered: R,
  target: SendTarget,
  earlierUnknown: boolean,
  attempts: Attempts,
  log: Logger,
): Promise<Posted> {
  let unknown = earlierUnknown;
  if (earlierUnknown && channel.reconcile) {
    try {
      const found = await channel.reconcile(rendered, target);
      if (found) {
        log.info(
          { externalId: found.externalId },
          'an earlier attempt had posted; recorded it instead of posting again',
        );
        return { sent: found, earlierUnknown: false };
      }
      unknown = false; // the platform answered: the earlier attempt did not land
    } catch (error) {
      const last = attempts.made + 1 >= attempts.max;
      if (!(error instanceof PermanentError) && !last) {
        // The platform could not answer now: try again later, the earlier outcome still unknown.
        throw new EarlierUnknown(
          new OutcomeUnknownError(`could not look up whether an earlier attempt posted: ${describeError(error)}`),
        );
      }
      log.warn(
        { err: describeError(error) },
        'could not look up whether an earlier attempt posted; posting (a copy already there is refused or shows twice)',
      );
    }
  }
  try {
    return { sent: await channel.send(rendered, target), earlierUnknown: unknown };
  } catch (error) {
    throw unknown ? new EarlierUnknown(error) : error;
  }
}

/** A failure that followed an attempt whose outcome is still unknown; `failure` is what this attempt threw. */
export class EarlierUnknown extends Error {
  constructor(readonly failure: unknown) {
    super(describeError(failure));
    this.name = 'EarlierUnknown';
  }
}

import { PermanentError } from '../channels/errors.js';

/**
 * The provider refused this recipient for good (hard bounce, invalid number, webhook gone). The recipient's
 * send is recorded failed and the subscriber changes state so later updates skip it:
 * `suppress` (email hard bounce, SMS STOP / invalid number: the address joins the suppression list) or
 * `disable` (a webhook endpoint answered 410 Gone).
 */
export class RecipientRejectedError extends PermanentError {
  override name = 'RecipientRejectedError';
  constructor(
    message: string,
    readonly action: 'suppress' | 'disable' | 'none' = 'none',
    /** For `suppress`: the address's suppression hash (see ./suppression.ts), computed by the channel. */
    readonly suppressionHash?: string,
  ) {
    super(message);
  }
}

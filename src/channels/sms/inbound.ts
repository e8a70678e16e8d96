import { createHmac, timingSafeEqual } from 'node:crypto';

/** Twilio's standard opt-out keywords. */
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);

export const isStopMessage = (body: string) =>
  STOP_WORDS.has(
    body
      .trim()
      .toUpperCase()
      .replace(/[.!]+$/, ''),
  );

/** X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the URL followed by each POST param name+value, sorted by name. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data =
    url +
    Object.keys(params)
      .sort()
      .map((k) => k + params[k])
      .join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  signature: string,
): boolean {
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What the /sms/inbound route needs from the SMS channel. */
export interface SmsInboundHandler {
  readonly name: string;
  verifyInbound(url: string, params: Record<string, string>, signature: string): boolean;
  isStop(body: string): boolean;
}

export function isSmsInboundHandler(value: object): value is SmsInboundHandler {
  return (
    typeof (value as Partial<SmsInboundHandler>).verifyInbound === 'function' &&
    typeof (value as Partial<SmsInboundHandler>).isStop === 'function'
  );
}

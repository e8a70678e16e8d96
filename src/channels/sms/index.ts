import type { AudienceChannel, UpdateContext, ChannelDefinition } from '../channel.js';
import { PermanentError, RateLimitedError, RecipientRejectedError, RetryableError, retryAfterToMs } from '../errors.js';
import { httpCall } from '../http.js';
import { addressHash } from '../../domain/audience.js';
import { type SmsInboundHandler, isStopMessage, verifyTwilioSignature } from './inbound.js';
import { fitSmsWithCut, segmentsOf, smsMeasure } from './segments.js';
import type { Cut } from '../../render/fit.js';
import { cutNote } from '../../render/cut-note.js';

export interface SmsChannelOptions {
  /** Channel name; default `sms`. */
  name?: string;
  /** TWILIO_API_URL; default https://api.twilio.com */
  apiUrl?: string;
  accountSid: string;
  authToken: string;
  /** TWILIO_FROM: the sending number (E.164) or a Messaging Service SID (MG…). */
  from: string;
  /** Segment budget per message; default 2 (306 GSM-7 characters, 134 UCS-2). */
  maxSegments?: number;
  sendConcurrency?: number;
  /** Requests per second Twilio allows this account/number; default 10 (enforced per page job). */
  timeoutMs?: number;
}

export interface SmsMessage {
  text: string;
  segments: number;
  /** Where the message was shortened to fit the segment budget (null when it fit whole). */
  cut: Cut | null;
}

/** "Affected: Checkout API, Search", or after resolution "Recovered: Checkout API": names only, SMS is short. */
export function smsComponentsLine(ctx: UpdateContext): string {
  const components = ctx.incident.components;
  if (components.length === 0) return '';
  const names = components.map((c) => c.name).join(', ');
  if (ctx.update.status === 'resolved' || components.every((c) => c.status === 'operational'))
    return `Recovered: ${names}`;
  return `Affected: ${names}`;
}

/** Twilio errors that mean "this number will never take a message": the recipient fails and is suppressed. */
const SUPPRESS_CODES = new Set([21211, 21214, 21217, 21614, 21610]);
/** Refused for this recipient, but the number itself may be fine (region permissions, routing). */
const RECIPIENT_CODES = new Set([21408, 21612, 21215, 21606, 21635]);

export function sms(options: SmsChannelOptions): ChannelDefinition<AudienceChannel<SmsMessage> & SmsInboundHandler> {
  const name = options.name ?? 'sms';
  const apiUrl = (options.apiUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const maxSegments = options.maxSegments ?? 2;
  const endpoint = `${apiUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  return {
    name,
    kind: 'sms',
    create(runtime) {
      const head = runtime.templates.compile('sms', 'head.txt.hbs');
      const body = runtime.templates.compile('sms', 'body.txt.hbs');
      const tail = runtime.templates.compile('sms', 'tail.txt.hbs');
      const confirm = runtime.templates.compile('sms', 'confirm.txt.hbs');

      async function post(to: string, text: string, signal?: AbortSignal): Promise<{ sid?: string }> {
        const answer = await httpCall({
          url: endpoint,
          headers: { authorization },
          body: new URLSearchParams({ To: to, From: options.from, Body: text }),
          signal,
          timeoutMs: options.timeoutMs ?? 15_000,
          what: 'Twilio',
        });
        const { status } = answer;
        // Not JSON (a proxy's error page): the status decides.
        const json = (answer.json && typeof answer.json === 'object' ? answer.json : {}) as {
          sid?: string;
          code?: number;
          message?: string;
          more_info?: string;
        };
        if (status >= 200 && status < 300) return { sid: json.sid };
        const detail = `Twilio ${status}${json.code ? ` error ${json.code}` : ''}: ${(json.message ?? answer.text).slice(0, 200)}`;
        if (status === 429)
          throw new RateLimitedError(retryAfterToMs(answer.headers.get('retry-after')) ?? Date.now() + 1_000, detail);
        if (status >= 500 || status === 408) throw new RetryableError(detail);
        if (status === 401 || status === 403 || json.code === 20003) {
          throw new PermanentError(
            `Twilio refused the credentials (${status}); check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`,
          );
        }
        if (json.code && SUPPRESS_CODES.has(json.code))
          throw new RecipientRejectedError(detail, 'suppress', addressHash(runtime.secret, 'sms', to));
        if (json.code && RECIPIENT_CODES.has(json.code)) throw new RecipientRejectedError(detail, 'none');
        throw new PermanentError(detail);
      }

      return {
        name,
        kind: 'sms',
        recipientKind: 'sms',
        capabilities: { threads: false, audience: true, maxLength: maxSegments, concurrency: 2, attempts: 10 },
        preview: (message) => [
          { label: 'SMS', text: message.text, ...(message.cut ? { cut: cutNote(message.cut) } : {}) },
        ],
        measure: (message) => [smsMeasure(message.text, maxSegments)],
        templates: { folder: 'sms', measureText: (text) => [smsMeasure(text, maxSegments)] },
        fanout: { sendConcurrency: options.sendConcurrency ?? 8, pageConcurrency: 1 },
        render(ctx: UpdateContext): SmsMessage {
          const parts = {
            head: head(ctx).trim(),
            // One line per paragraph or list item: a newline costs what a space does.
            body: body(ctx)
              .replace(/[ \t]+/g, ' ')
              .replace(/ ?\n[\s]*/g, '\n')
              .trim(),
            tail: tail(ctx).trim(),
            extra: smsComponentsLine(ctx),
          };
          let { text, cut } = fitSmsWithCut(parts, maxSegments);
          if (cut || (parts.extra && !text.includes(parts.extra))) {
            // Not all of it fits with the incident page's address: the short link (/i/<code>, redirecting there)
            // leaves the message more room.
            const short = { ...ctx, incident: { ...ctx.incident, url: ctx.incident.shortUrl } };
            ({ text, cut } = fitSmsWithCut({ ...parts, tail: tail(short).trim() }, maxSegments));
          }
          return { text, segments: segmentsOf(text).segments, cut };
        },
        async send() {
          throw new PermanentError(`'${name}' is an audience channel: the fan-out sends per recipient`);
        },
        async sendTo(message, recipient, target) {
          const { sid } = await post(recipient.address, message.text, target.signal);
          return sid ? { externalId: sid } : {};
        },
        async sendConfirmation(recipient, confirmUrl) {
          await post(
            recipient.address,
            confirm({ site: { name: runtime.siteName, url: runtime.publicUrl }, confirmUrl }).trim(),
          );
        },
        verifyInbound: (url, params, signature) => verifyTwilioSignature(options.authToken, url, params, signature),
        isStop: isStopMessage,
      };
    },
  };
}

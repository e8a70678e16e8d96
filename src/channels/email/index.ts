import type { AudienceChannel, Recipient, ChannelDefinition } from '../channel.js';
import { PermanentError } from '../errors.js';
import { addressHash } from '../../domain/audience.js';
import { manageUrl, unsubscribeUrl } from '../../domain/link-tokens.js';
import { appUrlOf } from '../../lib/app-url.js';
import { personalisedParts } from './mime.js';
import { type EmailMessage, emailView, renderEmail, threadHeaders } from './render.js';
import { type SmtpSettings, createPool, smtpError } from './send.js';

export interface EmailChannelOptions {
  /** Channel name; default `email`. */
  name?: string;
  /** SMTP_URL: smtp://user:pass@host:port (STARTTLS) or smtps://… */
  smtpUrl: string;
  /** EMAIL_FROM, e.g. `Example Status <status@example.com>`. */
  from: string;
  /** Adds `<mailto:…>` to List-Unsubscribe (requests there are handled by you). */
  unsubscribeMailto?: string;
  /** DKIM signing (nodemailer's dkim option). */
  dkim?: SmtpSettings['dkim'];
  /** Send rate over the whole pool, e.g. { max: 50, perMs: 1000 }. Default: as fast as the server takes. */
  rate?: SmtpSettings['rate'];
  /** SMTP connections in the pool; default 5. */
  maxConnections?: number;
  /** Fan-out tuning (sends in flight per page, pages at once). */
  sendConcurrency?: number;
  pageConcurrency?: number;
}

/** Email to every confirmed subscriber whose components match, over a pooled SMTP connection. */
export function email(options: EmailChannelOptions): ChannelDefinition<AudienceChannel<EmailMessage>> {
  const name = options.name ?? 'email';
  return {
    name,
    kind: 'email',
    create(runtime) {
      const templates = {
        subject: runtime.templates.compile('email', 'subject.txt.hbs'),
        html: runtime.templates.compile('email', 'update.html.hbs'),
        text: runtime.templates.compile('email', 'update.txt.hbs'),
      };
      const confirmTemplates = {
        html: runtime.templates.compile('email', 'confirm.html.hbs'),
        text: runtime.templates.compile('email', 'confirm.txt.hbs'),
      };
      const transport = createPool({
        url: options.smtpUrl,
        rate: options.rate,
        dkim: options.dkim,
        maxConnections: options.maxConnections,
      });
      const host = new URL(runtime.publicUrl).hostname || 'herald.invalid';
      const site = { name: runtime.siteName, url: runtime.publicUrl };
      const hashOf = (r: Recipient) => () => addressHash(runtime.secret, 'email', r.address);

      return {
        name,
        kind: 'email',
        recipientKind: 'email',
        capabilities: { threads: true, audience: true, concurrency: 2, attempts: 10 },
        // Each recipient's own links go in at send time; the preview shows where they will be.
        ...emailView({
          unsubscribeUrl: `${appUrlOf(runtime)}/unsubscribe?token=per-recipient`,
          manageUrl: `${appUrlOf(runtime)}/subscribe/manage?token=per-recipient`,
        }),
        fanout: { sendConcurrency: options.sendConcurrency ?? 16, pageConcurrency: options.pageConcurrency ?? 2 },
        render: (ctx) => renderEmail(templates, ctx),
        async send() {
          throw new PermanentError(`'${name}' is an audience channel: the fan-out sends per recipient`);
        },
        async sendTo(message, recipient) {
          const link = unsubscribeUrl(appUrlOf(runtime), runtime.secret, recipient.subscriberId);
          const manage = manageUrl(appUrlOf(runtime), runtime.secret, recipient.subscriberId);
          const { html, text } = personalisedParts(message, { unsubscribeUrl: link, manageUrl: manage });
          const listUnsubscribe = [
            `<${link}>`,
            ...(options.unsubscribeMailto ? [`<mailto:${options.unsubscribeMailto}?subject=unsubscribe>`] : []),
          ].join(', ');
          try {
            await transport.sendMail({
              from: options.from,
              to: recipient.address,
              subject: message.subject,
              text,
              html,
              ...threadHeaders(message, recipient.subscriberId, host),
              // nodemailer's `list` option cannot write List-Unsubscribe-Post: both headers set here.
              headers: {
                'List-Unsubscribe': listUnsubscribe,
                'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                'List-Id': `${runtime.siteName} status updates <updates.${host}>`,
                'Auto-Submitted': 'auto-generated',
                // Exchange and Outlook send no out-of-office or auto-replies back to a status notice.
                'X-Auto-Response-Suppress': 'OOF, AutoReply',
              },
            });
          } catch (error) {
            throw smtpError(error, hashOf(recipient));
          }
          return {};
        },
        async sendConfirmation(recipient, confirmUrl) {
          const data = { site, confirmUrl };
          try {
            await transport.sendMail({
              from: options.from,
              to: recipient.address,
              subject: `Confirm your ${runtime.siteName} status updates`,
              text: confirmTemplates.text(data),
              html: confirmTemplates.html(data),
              headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
            });
          } catch (error) {
            throw smtpError(error, hashOf(recipient));
          }
        },
        async sendStaffNotice(address, notice) {
          const escapeHtml = (t: string) =>
            t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
          const link = `<a href="${escapeHtml(notice.link)}">${escapeHtml(notice.link)}</a>`;
          try {
            await transport.sendMail({
              from: options.from,
              to: address,
              subject: notice.subject.replace(/\s+/g, ' ').slice(0, 200),
              text: `${notice.lines.join('\n\n')}\n`,
              html: notice.lines
                .map((line, i) => {
                  const html = escapeHtml(line).split(escapeHtml(notice.link)).join(link);
                  return i === 0 ? `<p><strong>${html}</strong></p>` : `<p>${html}</p>`;
                })
                .join(''),
              headers: { 'Auto-Submitted': 'auto-generated' },
            });
          } catch (error) {
            throw smtpError(error, () => addressHash(runtime.secret, 'email', address));
          }
        },
        async close() {
          transport.close();
        },
      };
    },
  };
}

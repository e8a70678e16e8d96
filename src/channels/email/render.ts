import type { MaintenanceNotice, MessageView, UpdateContext } from '../channel.js';
import type { TemplateFn, Templates } from '../../render/templates.js';

/** Stands in for the per-recipient unsubscribe URL in the rendered bodies; replaced in sendTo. */
export const UNSUBSCRIBE_PLACEHOLDER = 'HERALD-UNSUBSCRIBE-URL-7f3a9c';

export interface EmailMessage {
  subject: string;
  html: string;
  text: string;
  incidentId: string;
  updateId: string;
  isFirst: boolean;
}

export interface EmailTemplates {
  subject: TemplateFn;
  html: TemplateFn;
  text: TemplateFn;
}

/** Pure: one rendering per update; the recipient's link goes in at send time. */
export function renderEmail(templates: EmailTemplates, ctx: UpdateContext): EmailMessage {
  const data = { ...ctx, unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER };
  return {
    subject: templates.subject(ctx).replace(/\s+/g, ' ').trim(),
    html: templates.html(data),
    text: `${templates.text(data).trim()}\n`,
    incidentId: ctx.incident.id,
    updateId: ctx.update.id,
    isFirst: ctx.update.isFirst,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** templates/email/maintenance-subject.txt.hbs, maintenance.html.hbs, maintenance.txt.hbs. */
export function compileMaintenanceTemplates(templates: Templates): EmailTemplates {
  return {
    subject: templates.compile('email', 'maintenance-subject.txt.hbs'),
    html: templates.compile('email', 'maintenance.html.hbs'),
    text: templates.compile('email', 'maintenance.txt.hbs'),
  };
}

/** The reminder of a scheduled maintenance, personalised per recipient like an update (its unsubscribe link). */
export function renderMaintenanceNotice(templates: EmailTemplates, { site, maintenance: m }: MaintenanceNotice) {
  const data = {
    site,
    maintenance: {
      title: m.title,
      message: m.message,
      scheduledFor: m.scheduledFor,
      scheduledUntil: m.scheduledUntil,
      components: m.components,
    },
    unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER,
  };
  // incidentId/updateId only name the Message-ID; `maintenance-` keeps it apart from incident threads.
  const message: EmailMessage = {
    subject: templates.subject(data).replace(/\s+/g, ' ').trim(),
    html: templates.html(data),
    text: `${templates.text(data).trim()}\n`,
    incidentId: `maintenance-${m.id}`,
    updateId: `maintenance-${m.id}`,
    isFirst: true,
  };
  return message;
}

export function personalise(message: EmailMessage, unsubscribeUrl: string): { html: string; text: string } {
  return {
    html: message.html.split(UNSUBSCRIBE_PLACEHOLDER).join(escapeHtml(unsubscribeUrl)),
    text: message.text.split(UNSUBSCRIBE_PLACEHOLDER).join(unsubscribeUrl),
  };
}

/** Gmail shows "[Message clipped]" past about 102 KB of message, hiding the rest (the unsubscribe link too). */
export const GMAIL_CLIP_KB = 102;

/**
 * What a recipient sees: subject, HTML and plain text, with `sampleUnsubscribeUrl` where each recipient gets
 * their own link. Measured: the HTML's size against Gmail's clipping.
 */
export function emailView(sampleUnsubscribeUrl: string): MessageView<EmailMessage> {
  return {
    preview(message) {
      const { html, text } = personalise(message, sampleUnsubscribeUrl);
      return [
        { label: 'Subject', text: message.subject },
        { label: 'HTML', html, height: 500 },
        { label: 'Plain text', text },
      ];
    },
    measure(message) {
      const bytes = Buffer.byteLength(personalise(message, sampleUnsubscribeUrl).html);
      return [
        {
          label: 'HTML size',
          value: Math.ceil(bytes / 102.4) / 10,
          limit: GMAIL_CLIP_KB,
          unit: 'KB',
          detail: 'Gmail clips a longer message',
        },
      ];
    },
    templates: { folder: 'email' },
  };
}

/**
 * Threading: the first update's message to a recipient is the root `<incident-ID.SUBSCRIBER@host>`; every later
 * update's message answers it (In-Reply-To, References). Ids are unique per message and stable across retries.
 */
export function threadHeaders(
  message: Pick<EmailMessage, 'incidentId' | 'updateId' | 'isFirst'>,
  subscriberId: string,
  host: string,
) {
  const root = `<incident-${message.incidentId}.${subscriberId}@${host}>`;
  if (message.isFirst) return { messageId: root };
  return { messageId: `<update-${message.updateId}.${subscriberId}@${host}>`, inReplyTo: root, references: root };
}

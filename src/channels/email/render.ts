import type { MessageView, UpdateContext } from '../channel.js';
import type { ComponentStatus, IncidentStatus } from '../../domain/enums.js';
import { toPlainText } from '../../render/dialects/plain.js';
import { cutAtBoundary } from '../../render/fit.js';
import { COMPONENT_STATUS_LABEL, INCIDENT_STATUS_LABEL } from '../../render/labels.js';
import type { TemplateFn } from '../../render/templates.js';

/** Stand in for the per-recipient links in the rendered bodies; replaced in sendTo. */
export const UNSUBSCRIBE_PLACEHOLDER = 'HERALD-UNSUBSCRIBE-URL-7f3a9c';
export const MANAGE_PLACEHOLDER = 'HERALD-MANAGE-URL-3c81d2';

/** Badge colours: white text on each reads at WCAG AA (4.5:1) in light and dark mail clients alike. */
const STATUS_BADGE: Record<IncidentStatus, string> = {
  investigating: '#cf222e',
  identified: '#bc4c00',
  monitoring: '#7d4e00',
  resolved: '#1a7f37',
  postmortem: '#57606a',
};

const COMPONENT_DOT: Record<ComponentStatus, string> = {
  operational: '#1a7f37',
  degraded_performance: '#bf8700',
  partial_outage: '#bc4c00',
  major_outage: '#cf222e',
  under_maintenance: '#0969da',
};

/** The inbox preview: the update's first sentence (never the site name and title again, which the subject has). */
export function firstSentence(markdown: string, max = 140): string {
  const text = toPlainText(markdown).replace(/\s+/g, ' ').trim();
  const sentence = /^.+?[.!?。！？](?=\s|$)/u.exec(text)?.[0] ?? text;
  if ([...sentence].length <= max) return sentence;
  return cutAtBoundary(sentence, (c) => [...c].length <= max, '…', 'word-only')?.kept ?? '';
}

/** What the email templates show beyond the update itself: badge, preheader and the components' state. */
export function emailExtras(ctx: UpdateContext) {
  const resolved = ctx.update.status === 'resolved' || ctx.update.status === 'postmortem';
  return {
    preheader: firstSentence(ctx.update.message),
    // Mail clients fill the preview with whatever text follows: invisible spacers keep it to the preheader.
    preheaderPadding: '&#847;&zwnj;&nbsp;'.repeat(60),
    badge: { label: INCIDENT_STATUS_LABEL[ctx.update.status], color: STATUS_BADGE[ctx.update.status] },
    // After resolution the components read as what recovered, not "Affected: X (Operational)".
    componentsHeading: resolved ? 'Recovered' : 'Affected',
    components: ctx.incident.components.map((c) => ({
      name: c.name,
      state: COMPONENT_STATUS_LABEL[c.status],
      color: COMPONENT_DOT[c.status],
    })),
  };
}

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
  const data = {
    ...ctx,
    email: emailExtras(ctx),
    unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER,
    manageUrl: MANAGE_PLACEHOLDER,
  };
  return {
    subject: templates.subject(ctx).replace(/\s+/g, ' ').trim(),
    html: templates.html(data),
    text: `${templates.text(data).trim()}\n`,
    incidentId: ctx.incident.id,
    updateId: ctx.update.id,
    isFirst: ctx.update.isFirst,
  };
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function personalise(
  message: EmailMessage,
  links: { unsubscribeUrl: string; manageUrl: string },
): { html: string; text: string } {
  const fill = (s: string, encode: (s: string) => string) =>
    s
      .split(UNSUBSCRIBE_PLACEHOLDER)
      .join(encode(links.unsubscribeUrl))
      .split(MANAGE_PLACEHOLDER)
      .join(encode(links.manageUrl));
  return { html: fill(message.html, escapeHtml), text: fill(message.text, (s) => s) };
}

/** Gmail shows "[Message clipped]" past about 102 KB of message, hiding the rest (the unsubscribe link too). */
export const GMAIL_CLIP_KB = 102;

/**
 * What a recipient sees: subject, HTML and plain text, with sample links where each recipient gets their own. Measured: the HTML's size against Gmail's clipping.
 */
export function emailView(sample: { unsubscribeUrl: string; manageUrl: string }): MessageView<EmailMessage> {
  return {
    preview(message) {
      const { html, text } = personalise(message, sample);
      return [
        { label: 'Subject', text: message.subject },
        { label: 'HTML', html, height: 500 },
        { label: 'Plain text', text },
      ];
    },
    measure(message) {
      const bytes = Buffer.byteLength(personalise(message, sample).html);
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

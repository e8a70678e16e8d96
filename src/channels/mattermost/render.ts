import type { MessageView, UpdateContext } from '../channel.js';
import { COMPONENT_STATUS_LABEL } from '../../render/labels.js';
import { fitText } from '../../render/fit.js';
import {
  STATUS_COLOR,
  STATUS_EMOJI,
  impactLabel,
  neutralizeMentions,
  statusLabel,
  updatedAt,
} from '../chat-common/text.js';
import { toChatMarkdown } from '../../render/dialects/markdown.js';

/** Mattermost's post limit is 16383 characters (runes); this leaves room for the attachment. */
export const MATTERMOST_TEXT_MAX = 16_000;

export interface MattermostMessage {
  text: string;
  username?: string;
  attachments: Array<{
    fallback: string;
    color: string;
    title: string;
    title_link: string;
    fields: Array<{ short: boolean; title: string; value: string }>;
    footer: string;
  }>;
}

/** Mattermost Markdown: '@' mentions would notify people (even @channel), so they are neutralised. */
const safe = (s: string) => neutralizeMentions(s);
const runes = (s: string) => [...s].length;

export function renderMattermost(ctx: UpdateContext): MattermostMessage {
  const { incident, update } = ctx;
  const head = `${STATUS_EMOJI[update.status]} **[${statusLabel(update.status)}] ${safe(incident.title)}**`;
  const text = fitText(
    { head, body: safe(toChatMarkdown(update.message)), tail: `[View incident](${incident.url})` },
    MATTERMOST_TEXT_MAX,
    runes,
  );
  return {
    text,
    attachments: [
      {
        fallback: `[${statusLabel(update.status)}] ${safe(incident.title)} ${incident.url}`,
        color: `#${STATUS_COLOR[update.status]}`,
        title: safe(incident.title),
        title_link: incident.url,
        fields: [
          { short: true, title: 'Status', value: statusLabel(update.status) },
          { short: true, title: 'Impact', value: impactLabel(ctx) },
          ...incident.components
            .slice(0, 20)
            .map((c) => ({ short: true, title: safe(c.name), value: COMPONENT_STATUS_LABEL[c.status] })),
        ],
        footer: `${safe(ctx.site.name)} · ${updatedAt(ctx)}`,
      },
    ],
  };
}

export const mattermostTexts = (m: MattermostMessage) => [
  m.text,
  ...m.attachments.flatMap((a) => [a.fallback, a.title, a.footer, ...a.fields.map((f) => `${f.title} ${f.value}`)]),
];

export const mattermostView: MessageView<MattermostMessage> = {
  preview: (message) => [
    { label: 'Post', text: message.text, format: 'markdown' },
    ...message.attachments.map((a) => ({
      label: 'Attachment',
      text: [a.title, a.fields.map((f) => `${f.title}: ${f.value}`).join('\n'), a.footer].join('\n\n'),
    })),
  ],
  measure: (message) => [
    { label: 'Post length', value: runes(message.text), limit: MATTERMOST_TEXT_MAX, unit: 'characters' },
  ],
};

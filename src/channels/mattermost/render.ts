import type { MessageView, UpdateContext } from '../channel.js';
import { COMPONENT_STATUS_LABEL } from '../../render/labels.js';
import { type Cut, fitTextWithCut } from '../../render/fit.js';
import { cutNote } from '../../render/cut-note.js';
import {
  STATUS_COLOR,
  STATUS_EMOJI,
  impactLabel,
  neutralizeMentions,
  statusLabel,
  updatedAt,
} from '../chat-common/text.js';
import { toChatMarkdown } from '../../render/dialects/markdown.js';

/** Mattermost's post message limit is 16383 runes (code points, since 5.0); this leaves room for the attachment. */
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
  /** Where the message was cut to fit the post (null when it fit). */
  cut?: Cut | null;
}

/** Mattermost Markdown: '@' mentions would notify people (even @channel), so they are neutralised. */
const safe = (s: string) => neutralizeMentions(s);
const runes = (s: string) => [...s].length;

export function renderMattermost(ctx: UpdateContext): MattermostMessage {
  const { incident, update } = ctx;
  const head = `${STATUS_EMOJI[update.status]} **[${statusLabel(update.status)}] ${safe(incident.title)}**`;
  // Cut at a boundary (never inside a link or leaving a list marker), the link kept whole after it.
  const { text, cut } = fitTextWithCut(
    { head, body: safe(toChatMarkdown(update.message)), tail: `[View incident](${incident.url})` },
    MATTERMOST_TEXT_MAX,
    runes,
  );
  return {
    text,
    cut,
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

/** The JSON posted: the message, without what Herald keeps beside it. */
export const mattermostPayload = ({ cut: _cut, ...payload }: MattermostMessage) => payload;

export const mattermostTexts = (m: MattermostMessage) => [
  m.text,
  ...m.attachments.flatMap((a) => [a.fallback, a.title, a.footer, ...a.fields.map((f) => `${f.title} ${f.value}`)]),
];

export const mattermostView: MessageView<MattermostMessage> = {
  preview: (message) => [
    {
      label: 'Post',
      text: message.text,
      format: 'markdown' as const,
      ...(message.cut ? { cut: cutNote(message.cut) } : {}),
    },
    ...message.attachments.map((a) => ({
      label: 'Attachment',
      text: [a.title, a.fields.map((f) => `${f.title}: ${f.value}`).join('\n'), a.footer].join('\n\n'),
    })),
  ],
  measure: (message) => [
    { label: 'Post length', value: runes(message.text), limit: MATTERMOST_TEXT_MAX, unit: 'characters' },
  ],
};

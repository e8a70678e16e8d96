import type { MessageView, PreviewPart, UpdateContext } from '../channel.js';
import { COMPONENT_STATUS_LABEL, formatDayUtc } from '../../render/labels.js';
import { fitText } from '../../render/fit.js';
import { STATUS_EMOJI, impactLabel, neutralizeMentions, statusLabel, updatedAt } from '../chat-common/text.js';
import { toForumMarkdown } from '../../render/dialects/markdown.js';

/** Discourse's default max_post_length (32000); the marker Herald appends fits in the rest. */
export const DISCOURSE_RAW_MAX = 31_000;

export interface DiscourseMessage {
  /** Topic title: the incident title and its start date (Discourse wants ≥ 15 characters and unique titles). */
  title: string;
  /** The topic's first post as of this update: posted first, edited later. */
  summaryRaw: string;
  /** This update as a reply in the topic. */
  replyRaw: string;
  /** In every post: how Herald recognises its own topic when a title clash or a crash sends it looking. */
  incidentUrl: string;
  /** The incident's first update: the topic is opened, there is no reply yet. */
  isFirst: boolean;
}

/**
 * Discourse cooks Markdown, BBCode and some HTML, and '@name' notifies people: text Herald writes (names, the
 * site) is escaped and its mentions neutralised. The commander's Markdown goes through the forum dialect.
 */
export function escapeDiscourse(text: string): string {
  return neutralizeMentions(
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/([[\]\\`*_~|#])/g, '\\$1'),
  );
}

export function renderDiscourse(ctx: UpdateContext): DiscourseMessage {
  const { incident, update } = ctx;
  const status = `${STATUS_EMOJI[update.status]} **${statusLabel(update.status)}**`;
  const body = neutralizeMentions(toForumMarkdown(update.message));
  const affected = incident.components.length
    ? `**Affected:** ${incident.components.map((c) => `${escapeDiscourse(c.name)} (${COMPONENT_STATUS_LABEL[c.status]})`).join(', ')}`
    : '';
  const link = `[View the incident on ${escapeDiscourse(ctx.site.name)}](${incident.url})`;
  const fitBody = (room: number) => fitText({ body }, room);
  const room = DISCOURSE_RAW_MAX - affected.length - link.length - 200;
  return {
    title: fitText({ body: `${neutralizeMentions(incident.title)} – ${formatDayUtc(incident.startedAt)}` }, 250),
    summaryRaw: [`${status} · Impact: ${impactLabel(ctx)} · updated ${updatedAt(ctx)}`, fitBody(room), affected, link]
      .filter(Boolean)
      .join('\n\n'),
    replyRaw: [`${status} · ${updatedAt(ctx)}`, fitBody(room), affected, link].filter(Boolean).join('\n\n'),
    incidentUrl: incident.url,
    isFirst: update.isFirst,
  };
}

/** Discourse's max_post_length by default: the limit a post (with Herald's marker) must stay under. */
export const DISCOURSE_POST_MAX = 32_000;

export const discourseView: MessageView<DiscourseMessage> = {
  preview(message) {
    const first: PreviewPart = {
      label: message.isFirst ? 'First post of the topic' : 'First post, edited to',
      text: message.summaryRaw,
      format: 'markdown',
    };
    const title: PreviewPart = { label: 'Topic title', text: message.title };
    return message.isFirst
      ? [title, first]
      : [{ label: 'Reply in the topic', text: message.replyRaw, format: 'markdown' }, first];
  },
  measure: (message) => [
    {
      label: 'Longest post',
      value: Math.max(message.summaryRaw.length, message.replyRaw.length),
      limit: DISCOURSE_POST_MAX,
      unit: 'characters',
    },
  ],
};

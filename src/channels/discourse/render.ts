import type { MessageView, PreviewPart, UpdateContext } from '../channel.js';
import { COMPONENT_STATUS_LABEL, formatDayUtc } from '../../render/labels.js';
import { type Cut, fitTextWithCut } from '../../render/fit.js';
import { cutNote } from '../../render/cut-note.js';
import {
  STATUS_EMOJI,
  impactLabel,
  neutralizeMentions,
  statusLabel,
  updatedAt,
  utf16Length,
} from '../chat-common/text.js';
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
  /** Where the update's text was cut to fit a post (null when it fit). */
  cut?: Cut | null;
  /** Where the incident's title was cut to fit the topic title (null when it fit). */
  titleCut?: Cut | null;
}

/** Discourse's max_topic_title_length is 255 by default; the title stays under it with its date. */
export const DISCOURSE_TITLE_MAX = 250;

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
  // Discourse counts a post's characters; UTF-16 units are never fewer, so what fits here fits there.
  const room = DISCOURSE_RAW_MAX - utf16Length(affected) - utf16Length(link) - 200;
  const fitted = fitTextWithCut({ body }, room, utf16Length);
  // The date stays whole after the title: it keeps the titles of incidents of one name apart.
  const title = fitTextWithCut(
    { body: neutralizeMentions(incident.title), tail: formatDayUtc(incident.startedAt) },
    DISCOURSE_TITLE_MAX,
    utf16Length,
    { separator: ' – ' },
  );
  return {
    title: title.text,
    summaryRaw: [`${status} · Impact: ${impactLabel(ctx)} · updated ${updatedAt(ctx)}`, fitted.text, affected, link]
      .filter(Boolean)
      .join('\n\n'),
    replyRaw: [`${status} · ${updatedAt(ctx)}`, fitted.text, affected, link].filter(Boolean).join('\n\n'),
    incidentUrl: incident.url,
    isFirst: update.isFirst,
    cut: fitted.cut,
    titleCut: title.cut,
  };
}

/** Discourse's max_post_length by default: the limit a post (with Herald's marker) must stay under. */
export const DISCOURSE_POST_MAX = 32_000;

export const discourseView: MessageView<DiscourseMessage> = {
  preview(message) {
    const cut = message.cut ? { cut: cutNote(message.cut) } : {};
    const first: PreviewPart = {
      label: message.isFirst ? 'First post of the topic' : 'First post, edited to',
      text: message.summaryRaw,
      format: 'markdown',
      ...cut,
    };
    const titleCut = message.titleCut
      ? { cut: `The title was shortened to fit Discourse's topic title${titleNote(message.titleCut)}` }
      : {};
    const title: PreviewPart = { label: 'Topic title', text: message.title, ...titleCut };
    return message.isFirst
      ? [title, first]
      : [{ label: 'Reply in the topic', text: message.replyRaw, format: 'markdown', ...cut }, first];
  },
  measure: (message) => [
    {
      label: 'Longest post',
      value: Math.max(message.summaryRaw.length, message.replyRaw.length),
      limit: DISCOURSE_POST_MAX,
      unit: 'characters',
    },
    { label: 'Topic title', value: message.title.length, limit: DISCOURSE_TITLE_MAX, unit: 'characters' },
  ],
};

/** The title's own cut: what was left out of it (its note is cutNote's, said of the title). */
function titleNote(cut: Cut): string {
  const note = cutNote(cut) ?? '';
  return note.startsWith('Cut ') ? ` (${note.slice(0, 1).toLowerCase()}${note.slice(1).replace(/\.$/, '')}).` : '.';
}

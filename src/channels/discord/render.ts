import type { MessageView, PreviewPart, UpdateContext } from '../channel.js';
import { COMPONENT_STATUS_LABEL } from '../../render/labels.js';
import { type Cut, fitText, fitTextWithCut } from '../../render/fit.js';
import { cutNote } from '../../render/cut-note.js';
import { STATUS_COLOR, STATUS_EMOJI, impactLabel, statusLabel, utf16Length } from '../chat-common/text.js';
import { toChatMarkdown } from '../../render/dialects/markdown.js';

/** Discord's embed description limit (4096 characters); the whole embed stays under 6000. */
export const DISCORD_DESCRIPTION_MAX = 4096;

export interface DiscordEmbed {
  title: string;
  url: string;
  description: string;
  color: number;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  timestamp: string;
  footer: { text: string };
}

export interface DiscordPayload {
  content: string;
  embeds: DiscordEmbed[];
  /** Nobody is ever pinged, whatever the text says (@everyone, <@id>, roles). */
  allowed_mentions: { parse: [] };
}

export interface DiscordMessage {
  /** The incident's first message as of this update: posted first, edited later. */
  summary: DiscordPayload;
  /** This update as a message of its own (in the forum thread when the webhook is a forum's). */
  update: DiscordPayload;
  /** Name of the forum post (thread) a forum webhook opens: at most 100 characters. */
  threadName: string;
  /** The incident's first update: the summary is posted, there is no update message yet. */
  isFirst: boolean;
  /** Where the message was cut to fit the embed (null when it fit). */
  cut?: Cut | null;
}

function embed(ctx: UpdateContext, description: string): DiscordEmbed {
  const { incident, update } = ctx;
  const components = incident.components
    .slice(0, 10)
    .map((c) => `${fitText({ body: c.name }, 80)}: ${COMPONENT_STATUS_LABEL[c.status]}`)
    .join('\n');
  return {
    // The same title on every message of the incident; it links to the incident, so the text does not repeat it.
    title: fitText(
      { body: `${STATUS_EMOJI[update.status]} [${statusLabel(update.status)}] ${incident.title}` },
      256,
      utf16Length,
    ),
    url: incident.url,
    description,
    color: Number.parseInt(STATUS_COLOR[update.status], 16),
    fields: [
      { name: 'Status', value: statusLabel(update.status), inline: true },
      { name: 'Impact', value: impactLabel(ctx), inline: true },
      ...(components
        ? [{ name: 'Affected', value: fitText({ body: components }, 1024, utf16Length), inline: false }]
        : []),
    ],
    timestamp: update.createdAt,
    footer: { text: fitText({ body: ctx.site.name }, 200) },
  };
}

export function renderDiscord(ctx: UpdateContext): DiscordMessage {
  const description = fitTextWithCut(
    { body: toChatMarkdown(ctx.update.message) },
    DISCORD_DESCRIPTION_MAX,
    utf16Length,
  );
  const payload = (e: DiscordEmbed): DiscordPayload => ({ content: '', embeds: [e], allowed_mentions: { parse: [] } });
  return {
    summary: payload(embed(ctx, description.text)),
    update: payload(embed(ctx, description.text)),
    threadName: fitText({ body: ctx.incident.title }, 100, utf16Length),
    isFirst: ctx.update.isFirst,
    cut: description.cut,
  };
}

export const discordTexts = (m: DiscordMessage) =>
  [m.summary, m.update].flatMap((p) => [
    p.content,
    ...p.embeds.flatMap((e) => [
      e.title,
      e.url,
      e.description,
      e.footer.text,
      ...e.fields.map((f) => `${f.name} ${f.value}`),
    ]),
  ]);

const embedShown = (e: DiscordEmbed) =>
  [e.title, e.description, e.fields.map((f) => `${f.name}: ${f.value}`).join('\n'), e.footer.text]
    .filter(Boolean)
    .join('\n\n');

export const discordView: MessageView<DiscordMessage> = {
  preview(message) {
    const summary: PreviewPart = {
      label: message.isFirst
        ? `First message (a forum post is named “${message.threadName}”)`
        : 'First message, edited to',
      text: message.summary.embeds.map(embedShown).join('\n\n'),
      ...(message.cut ? { cut: cutNote(message.cut) } : {}),
    };
    if (message.isFirst) return [summary];
    return [{ label: 'Update message', text: message.update.embeds.map(embedShown).join('\n\n') }, summary];
  },
  measure: (message) => [
    {
      label: 'Embed description',
      value: Math.max(
        ...[message.summary, message.update].flatMap((p) => p.embeds.map((e) => utf16Length(e.description))),
      ),
      limit: DISCORD_DESCRIPTION_MAX,
      unit: 'characters',
    },
  ],
};

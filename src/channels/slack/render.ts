import type { KnownBlock } from '@slack/web-api';
import type { MessageView, PreviewPart, UpdateContext } from '../channel.js';
import { type Cut, fitText, fitTextWithCut } from '../../render/fit.js';
import { cutNote } from '../../render/cut-note.js';
import { STATUS_EMOJI, componentsLine, impactLabel, statusLabel, updatedAt } from '../chat-common/text.js';
import { toPlainText } from '../../render/dialects/plain.js';
import { escapeSlack, mrkdwnAsMarkdown, slackLink, toSlackMrkdwn } from '../../render/dialects/slack-mrkdwn.js';

/** Slack's limit for one section/context text, in characters; the `text` fallback is fitted to it as well. */
export const SLACK_BLOCK_MAX = 3000;

export interface SlackPost {
  /** Plain-text fallback: notifications, screen readers, clients without Block Kit. */
  text: string;
  blocks: KnownBlock[];
}

export interface SlackMessage {
  /** The incident's top message as of this update: posted for the first update, edited (chat.update) later. */
  summary: SlackPost;
  /** This update as a reply in the incident's thread. */
  reply: SlackPost;
  /** Also show the reply in the channel (the resolution). */
  broadcast: boolean;
  /** Epoch seconds a minute before the update was written: where a lookup after a crash starts. */
  oldest: string;
  /** The incident's first update: the top message is posted, there is no reply yet. */
  isFirst: boolean;
  /** Where the message was cut to fit one block (null when it fit). */
  cut?: Cut | null;
}

export { escapeSlack };

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text });
const escapedLength = (s: string) => escapeSlack(s).length;
const link = (url: string, label: string) => slackLink(url, escapeSlack(label));

export function renderSlack(ctx: UpdateContext): SlackMessage {
  const { incident, update } = ctx;
  const emoji = STATUS_EMOJI[update.status];
  const status = statusLabel(update.status);
  // The message in mrkdwn (already escaped for Slack), and as plain text for the notification fallback.
  const body = toSlackMrkdwn(update.message);
  const plain = toPlainText(update.message);
  const components = componentsLine(ctx);
  const incidentLink = link(incident.url, `View incident on ${ctx.site.name}`);
  const affected = components
    ? [mrkdwn(escapeSlack(fitText({ body: `Affected: ${components}` }, SLACK_BLOCK_MAX - 10, escapedLength)))]
    : [];

  const summaryHead = `${emoji} *${escapeSlack(incident.title)}*\n*${status}* · Impact: ${impactLabel(ctx)} · ${updatedAt(ctx)}`;
  const summaryText = fitText({ head: summaryHead, body }, SLACK_BLOCK_MAX);
  const summary: SlackPost = {
    text: fallback(`${emoji} [${status}] ${incident.title}`, plain, incident.url),
    blocks: [
      { type: 'section', text: mrkdwn(summaryText) },
      { type: 'context', elements: [...affected, mrkdwn(incidentLink)] },
    ],
  };

  const { text: replyText, cut } = fitTextWithCut(
    { head: `${emoji} *${status}* · ${updatedAt(ctx)}`, body },
    SLACK_BLOCK_MAX,
  );
  const reply: SlackPost = {
    text: fallback(`${emoji} [${status}]`, plain, incident.url),
    blocks: [
      { type: 'section', text: mrkdwn(replyText) },
      { type: 'context', elements: [...affected, mrkdwn(incidentLink)] },
    ],
  };

  return {
    summary,
    reply,
    broadcast: update.status === 'resolved',
    oldest: String(Math.floor(Date.parse(update.createdAt) / 1000) - 60),
    isFirst: update.isFirst,
    cut,
  };
}

function fallback(head: string, body: string, url: string): string {
  return escapeSlack(fitText({ head, body, tail: url }, SLACK_BLOCK_MAX, escapedLength));
}

/** Longest text of a rendered message in Slack's unit (characters of one block or the fallback). */
export function slackMeasure(message: SlackMessage): number {
  const texts = [message.summary, message.reply].flatMap((post) => [post.text, ...post.blocks.flatMap(blockTexts)]);
  return Math.max(...texts.map((t) => t.length));
}

export function slackWireText(message: SlackMessage): string {
  return [message.summary, message.reply].flatMap((post) => [post.text, ...post.blocks.flatMap(blockTexts)]).join('\n');
}

function blockTexts(block: KnownBlock): string[] {
  if (block.type === 'section') return block.text ? [block.text.text] : [];
  if (block.type === 'context')
    return block.elements.flatMap((e) => ('text' in e && typeof e.text === 'string' ? [e.text] : []));
  return [];
}

/** A post's blocks as Slack draws them (bold, links…), as Markdown the console renders; one paragraph a block. */
function slackShown(post: SlackPost): string {
  return post.blocks.flatMap(blockTexts).map(mrkdwnAsMarkdown).join('\n\n');
}

export const slackView: MessageView<SlackMessage> = {
  preview(message) {
    const top: PreviewPart = {
      label: message.isFirst ? 'Message in the channel' : 'Top message, edited to',
      format: 'markdown',
      text: slackShown(message.summary),
      ...(message.cut ? { cut: cutNote(message.cut) } : {}),
    };
    if (message.isFirst) return [top];
    const where = message.broadcast ? 'Reply in the thread, also sent to the channel' : 'Reply in the thread';
    return [
      {
        label: where,
        format: 'markdown',
        text: slackShown(message.reply),
        ...(message.cut ? { cut: cutNote(message.cut) } : {}),
      },
      top,
    ];
  },
  measure: (message) => [
    { label: 'Longest text', value: slackMeasure(message), limit: SLACK_BLOCK_MAX, unit: 'characters' },
  ],
};

import type { MessageView, UpdateContext } from '../channel.js';
import { COMPONENT_STATUS_LABEL } from '../../render/labels.js';
import { type Cut, fitText, fitTextWithCut } from '../../render/fit.js';
import { cutNote } from '../../render/cut-note.js';
import { STATUS_EMOJI, impactLabel, statusLabel, updatedAt } from '../chat-common/text.js';
import { toTeamsText } from '../../render/dialects/teams.js';

/**
 * Teams refuses a message over about 28 KB (incoming webhooks and Workflows alike), counted on the JSON sent. The
 * card's texts are fitted in those bytes, JSON-escaped: the update's text gets TEAMS_TEXT_MAX, its title and facts
 * are bounded too, so a card stays under TEAMS_PAYLOAD_MAX whatever the script (CJK takes 3 bytes a character).
 */
export const TEAMS_PAYLOAD_MAX = 28_000;
export const TEAMS_TEXT_MAX = 12_000;
const TEAMS_TITLE_MAX = 1_000;
const TEAMS_FACT_MAX = 300;

/** What a text costs in the JSON sent: UTF-8 bytes once escaped, quotes excluded. */
export const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2;

export interface TeamsMessage {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: AdaptiveCard;
  }>;
  /** Where the update's text was cut to fit the card (null when it fit). */
  cut?: Cut | null;
}

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: '1.4';
  msteams: { width: 'Full' };
  body: Array<Record<string, unknown>>;
  actions: Array<{ type: 'Action.OpenUrl'; title: string; url: string }>;
}

const STATUS_STYLE = {
  investigating: 'Attention',
  identified: 'Warning',
  monitoring: 'Warning',
  resolved: 'Good',
  postmortem: 'Default',
  scheduled: 'Accent',
  in_progress: 'Accent',
  verifying: 'Accent',
  completed: 'Good',
  cancelled: 'Default',
} as const;

/** One Adaptive Card 1.4 per update: Teams incoming webhooks (and Workflows) can neither edit nor thread. */
export function renderTeams(ctx: UpdateContext): TeamsMessage {
  const { incident, update } = ctx;
  // The card's button opens the incident: the text does not repeat its address.
  const { text: body, cut } = fitTextWithCut({ body: toTeamsText(update.message) }, TEAMS_TEXT_MAX, jsonBytes);
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      {
        type: 'TextBlock',
        text: fitText({ body: `${STATUS_EMOJI[update.status]} ${incident.title}` }, TEAMS_TITLE_MAX, jsonBytes),
        weight: 'Bolder',
        size: 'Medium',
        wrap: true,
        style: 'heading',
      },
      {
        type: 'TextBlock',
        text: `${statusLabel(update.status)} · Impact: ${impactLabel(ctx)} · ${updatedAt(ctx)}`,
        color: STATUS_STYLE[update.status],
        weight: 'Bolder',
        wrap: true,
        spacing: 'None',
      },
      { type: 'TextBlock', text: body, wrap: true },
      ...(incident.components.length
        ? [
            {
              type: 'FactSet',
              facts: incident.components.slice(0, 20).map((c) => ({
                title: fitText({ body: c.name }, TEAMS_FACT_MAX, jsonBytes),
                value: COMPONENT_STATUS_LABEL[c.status],
              })),
            },
          ]
        : []),
    ],
    actions: [{ type: 'Action.OpenUrl', title: 'View incident', url: incident.url }],
  };
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
    cut,
  };
}

export const teamsTexts = (m: TeamsMessage) =>
  m.attachments.flatMap((a) => [
    ...a.content.body.flatMap((b) => (typeof b.text === 'string' ? [b.text] : [])),
    ...a.content.actions.map((x) => x.url),
  ]);

/** The JSON posted: the card, without what Herald keeps beside it. */
export const teamsPayload = ({ cut: _cut, ...payload }: TeamsMessage) => payload;

export const teamsView: MessageView<TeamsMessage> = {
  preview: (message) =>
    // Teams draws a card's TextBlocks from a Markdown subset (bold, italic, links, lists): shown drawn, not as source.
    message.attachments.map((a) => ({
      ...(message.cut ? { cut: cutNote(message.cut) } : {}),
      label: 'Card',
      format: 'markdown' as const,
      text: [
        ...a.content.body.flatMap((block) =>
          typeof block.text === 'string'
            ? [block.weight === 'Bolder' ? `**${block.text}**` : block.text]
            : Array.isArray(block.facts)
              ? (block.facts as Array<{ title: string; value: string }>).map((f) => `${f.title}: ${f.value}`)
              : [],
        ),
        ...a.content.actions.map((x) => `[${x.title}](${x.url})`),
      ].join('\n\n'),
    })),
  measure: (message) => [
    {
      label: 'Message size',
      value: Buffer.byteLength(JSON.stringify(teamsPayload(message))),
      limit: TEAMS_PAYLOAD_MAX,
      unit: 'bytes',
    },
  ],
};

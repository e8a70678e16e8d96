import type { MessageView, UpdateContext } from '../channel.js';
import { COMPONENT_STATUS_LABEL } from '../../render/labels.js';
import { fitText } from '../../render/fit.js';
import { STATUS_EMOJI, impactLabel, statusLabel, updatedAt, utf16Length } from '../chat-common/text.js';
import { toTeamsText } from '../../render/dialects/teams.js';

/** Longest body text Herald puts in a card, in UTF-16 units: Teams refuses messages over about 28 KB. */
export const TEAMS_TEXT_MAX = 10_000;

export interface TeamsMessage {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: AdaptiveCard;
  }>;
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
  const body = fitText({ body: toTeamsText(update.message) }, TEAMS_TEXT_MAX, utf16Length);
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      {
        type: 'TextBlock',
        text: fitText({ body: `${STATUS_EMOJI[update.status]} ${incident.title}` }, 300),
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
              facts: incident.components
                .slice(0, 20)
                .map((c) => ({ title: fitText({ body: c.name }, 100), value: COMPONENT_STATUS_LABEL[c.status] })),
            },
          ]
        : []),
    ],
    actions: [{ type: 'Action.OpenUrl', title: 'View incident', url: incident.url }],
  };
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

export const teamsTexts = (m: TeamsMessage) =>
  m.attachments.flatMap((a) => [
    ...a.content.body.flatMap((b) => (typeof b.text === 'string' ? [b.text] : [])),
    ...a.content.actions.map((x) => x.url),
  ]);

export const teamsView: MessageView<TeamsMessage> = {
  preview: (message) =>
    message.attachments.map((a) => ({
      label: 'Card',
      text: [
        ...a.content.body.flatMap((block) =>
          typeof block.text === 'string'
            ? [block.text]
            : Array.isArray(block.facts)
              ? (block.facts as Array<{ title: string; value: string }>).map((f) => `${f.title}: ${f.value}`)
              : [],
        ),
        ...a.content.actions.map((x) => `[${x.title}] ${x.url}`),
      ].join('\n\n'),
    })),
  measure: (message) => [
    {
      label: 'Longest text',
      value: Math.max(
        0,
        ...message.attachments.flatMap((a) =>
          a.content.body.flatMap((block) => (typeof block.text === 'string' ? [utf16Length(block.text)] : [])),
        ),
      ),
      limit: TEAMS_TEXT_MAX,
      unit: 'characters',
    },
  ],
};

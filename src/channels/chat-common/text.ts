import type { UpdateContext } from '../channel.js';
import type { UpdateStatus } from '../../domain/enums.js';
import { COMPONENT_STATUS_LABEL, IMPACT_LABEL, INCIDENT_STATUS_LABEL, formatUtc } from '../../render/labels.js';

/** Colour per incident status, as hex without '#' (Discord wants it as a number, Slack/Mattermost/Teams as '#hex'). */
export const STATUS_COLOR: Record<UpdateStatus, string> = {
  investigating: 'd93f0b',
  identified: 'e99695',
  monitoring: 'fbca04',
  resolved: '2ea043',
  postmortem: '6e7781',
  scheduled: '0969da',
  in_progress: '0969da',
  verifying: '0969da',
  completed: '2ea043',
  cancelled: '6e7781',
};

export const STATUS_EMOJI: Record<UpdateStatus, string> = {
  investigating: '🔴',
  identified: '🟠',
  monitoring: '🟡',
  resolved: '🟢',
  postmortem: '📝',
  scheduled: '🔧',
  in_progress: '🔧',
  verifying: '🔧',
  completed: '🟢',
  cancelled: '⚪',
};

export const statusLabel = (s: UpdateStatus) => INCIDENT_STATUS_LABEL[s];
export const impactLabel = (ctx: UpdateContext) => IMPACT_LABEL[ctx.incident.impact];
export const updatedAt = (ctx: UpdateContext) => formatUtc(ctx.update.createdAt);

/** "@everyone", "@here", "@alice": a zero-width space after the '@' keeps the text readable and pings nobody. */
export function neutralizeMentions(text: string): string {
  return text.replace(/(^|[^\w@])@(?=[\w-])/g, '$1@\u200b');
}

/** "Checkout API (Major outage), Search (Degraded performance)", or '' when no component is affected. */
export function componentsLine(ctx: UpdateContext): string {
  return ctx.incident.components.map((c) => `${c.name} (${COMPONENT_STATUS_LABEL[c.status]})`).join(', ');
}

/** Length in UTF-16 code units, the unit most chat APIs count limits in (a conservative bound on code points). */
export const utf16Length = (s: string) => s.length;

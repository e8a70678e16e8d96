import type { Channel, UpdateContext } from '../channels/channel.js';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import { StateConflictError } from '../domain/errors.js';
import { newId, nowIso } from '../domain/ids.js';
import { planUpdate } from '../domain/rules.js';
import type { Component, Incident } from '../domain/types.js';
import { buildUpdateContext } from '../pipeline/context.js';
import { listComponents } from '../store/components-repo.js';
import { countReach, type Reach } from '../store/subscribers-repo.js';
import type { ComposeValues } from './compose-form.js';
import { FrameTooLargeError } from './frames.js';
import type { ConsoleHerald } from './console-context.js';
import { type ShownMeasure, type ShownPart, describeUpdate, showDescribed } from './channel-view.js';

export interface ChannelPreview {
  name: string;
  kind: string;
  selected: boolean;
  /** "New post" / "Reply 3 in the thread" for channels that thread. */
  threadPosition?: string;
  parts: ShownPart[];
  measures: ShownMeasure[];
  error?: string;
}

export interface ComposePreview {
  channels: ChannelPreview[];
  warnings: string[];
  /** Remarks that are no problem (an incident may affect no component): shown quietly, not as a warning. */
  notes: string[];
  /**
   * What to write first, when the form has nothing to preview yet (no title or message): no channel is rendered,
   * as publishing would refuse the form as it is.
   */
  blank?: string;
  reach: Reach;
  reachLine: string;
  updateNumber: number;
  /** Set when the form is over the publish's limits: nothing was rendered or kept. */
  refused?: boolean;
}

/** The preview of a form publishing would refuse for its size: the problems, no channel rendered. */
export function refusedPreview(
  issues: Array<{ field: string; problem: string }>,
  updateNumber: number,
): ComposePreview {
  return {
    channels: [],
    warnings: issues.map((i) => `${i.field}: ${i.problem}; publishing would refuse it, so nothing is previewed`),
    notes: [],
    reach: EMPTY_REACH,
    reachLine: '',
    updateNumber,
    refused: true,
  };
}

const EMPTY_REACH: Reach = { email: 0, sms: 0, webhook: 0 };

const VALID_STATUSES: readonly string[] = ['investigating', 'identified', 'monitoring', 'resolved'];
const VALID_IMPACTS: readonly string[] = ['none', 'minor', 'major', 'critical'];

/**
 * What each channel will show for the update being composed, rendered by the channels' own `render` from
 * the same context the workers build. Works on a half-filled form: missing fields become visible gaps.
 * Each channel says what it shows and how it measures (its `preview` and `measure`); the console knows no kind.
 * `storeHtml` keeps an HTML part (an email, a status page) for its sandboxed frame and returns the frame's URL.
 */
export async function previewCompose(
  herald: Pick<ConsoleHerald, 'store' | 'channels' | 'siteName' | 'env'>,
  values: ComposeValues,
  incident: Incident | undefined,
  nextNumber: number,
  storeHtml: (html: string) => Promise<string>,
): Promise<ComposePreview> {
  const missing = incident
    ? values.message.trim()
      ? undefined
      : 'Write a message to see how each channel shows it.'
    : values.title.trim() || values.message.trim()
      ? undefined
      : 'Write a title and message to see how each channel shows it.';
  if (missing)
    return {
      channels: [],
      warnings: [],
      notes: [],
      blank: missing,
      reach: EMPTY_REACH,
      reachLine: '',
      updateNumber: nextNumber,
    };
  const warnings: string[] = [];
  const notes: string[] = [];
  const components = await listComponents(herald.store.db);
  const byId = new Map(components.map((c) => [c.id, c]));
  const named = Object.fromEntries(
    Object.entries(values.components).filter(([id, status]) => byId.has(id) && isComponentStatus(status)),
  ) as Record<string, ComponentStatus>;
  const status = (VALID_STATUSES.includes(values.status) ? values.status : undefined) as IncidentStatus | undefined;

  let affected: Array<{ id: string; status: ComponentStatus }>;
  try {
    affected = planUpdate(incident ?? null, { status, components: named }).affected;
  } catch (error) {
    if (!(error instanceof StateConflictError)) throw error;
    warnings.push(error.message);
    affected = Object.entries(named).map(([id, s]) => ({ id, status: s }));
  }
  if (!incident && affected.length === 0)
    notes.push('No component selected: the status page will list no affected component.');

  const ctx = contextFor(herald, values, incident, nextNumber, status, affected, byId);
  const reach = await countReach(
    herald.store.db,
    affected.map((a) => a.id),
  );
  const selected = new Set(values.channels);
  if (selected.size === 0) warnings.push('no channel selected: choose at least one');

  const channels: ChannelPreview[] = [];
  for (const channel of herald.channels) {
    const { preview, warnings: channelWarnings } = await previewChannel(
      channel,
      ctx,
      selected.has(channel.name),
      storeHtml,
    );
    channels.push(preview);
    if (!preview.selected) continue;
    if (preview.error)
      warnings.push(
        `${preview.name}: could not render (${preview.error}); check the channel's configuration and templates`,
      );
    const socialProblem = ctx.update.socialText
      ? channel.checkSocialText?.(ctx.update.socialText, ctx.incident.url)
      : null;
    if (socialProblem)
      warnings.push(`${preview.name}: the social text does not fit (${socialProblem}); publishing would be refused`);
    warnings.push(...channelWarnings);
  }
  return { channels, warnings, notes, reach, reachLine: reachLine(reach), updateNumber: ctx.update.number };
}

async function previewChannel(
  channel: Channel,
  ctx: UpdateContext,
  selected: boolean,
  storeHtml: (html: string) => Promise<string>,
): Promise<{ preview: ChannelPreview; warnings: string[] }> {
  const base: ChannelPreview = {
    name: channel.name,
    kind: channel.kind,
    selected,
    parts: [],
    measures: [],
    ...(channel.capabilities.threads
      ? {
          threadPosition: ctx.update.isFirst
            ? 'New post: starts the thread'
            : `Reply in the thread (update ${ctx.update.number})`,
        }
      : {}),
  };
  let described: ReturnType<typeof describeUpdate>;
  try {
    described = describeUpdate(channel, ctx);
  } catch (error) {
    return { preview: { ...base, error: (error as Error).message || String(error) }, warnings: [] };
  }
  try {
    const { parts, measures, warnings } = await showDescribed(channel.name, described, storeHtml);
    return { preview: { ...base, parts, measures }, warnings };
  } catch (error) {
    if (!(error instanceof FrameTooLargeError)) throw error;
    return { preview: { ...base, error: error.message }, warnings: [] };
  }
}

function contextFor(
  herald: Pick<ConsoleHerald, 'siteName' | 'env'>,
  values: ComposeValues,
  incident: Incident | undefined,
  number: number,
  status: IncidentStatus | undefined,
  affected: Array<{ id: string; status: ComponentStatus }>,
  byId: Map<string, Component>,
): UpdateContext {
  const now = nowIso();
  const effective = status ?? incident?.status ?? 'investigating';
  const impact = (
    VALID_IMPACTS.includes(values.impact) ? values.impact : (incident?.impact ?? 'minor')
  ) as IncidentImpact;
  const site = { name: herald.siteName, publicUrl: herald.env.publicUrl };
  return buildUpdateContext(
    site,
    {
      // A fresh id of real length, so links (and so lengths) are what the real post will have.
      id: incident?.id ?? newId(),
      title: incident?.title ?? values.title,
      status: effective,
      impact,
      startedAt: incident?.startedAt ?? now,
      resolvedAt: effective === 'resolved' ? now : (incident?.resolvedAt ?? null),
    },
    {
      id: newId(),
      status: effective,
      message: values.message,
      ...(values.socialText.trim() ? { socialText: values.socialText.trim() } : {}),
      createdAt: now,
      number,
      components: affected.map((a) => ({ id: a.id, name: byId.get(a.id)?.name ?? a.id, status: a.status })),
    },
  );
}

function isComponentStatus(value: string): value is ComponentStatus {
  return ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'].includes(value);
}

export function reachLine(reach: Reach): string {
  const plural = (n: number, one: string) => `${n} ${one}`;
  return `This reaches ${plural(reach.email, 'email')}, ${plural(reach.sms, 'SMS')} and ${plural(reach.webhook, 'webhook')} subscribers (confirmed, following the affected components).`;
}

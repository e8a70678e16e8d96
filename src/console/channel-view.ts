import type { Channel, Measure, PreviewPart, UpdateContext } from '../channels/channel.js';
import { markdownToSafeHtml } from '../render/markdown.js';

/**
 * A part as a page shows it: text (monospaced when it is code), Markdown rendered to safe HTML, or a whole document
 * in a sandboxed frame at `frameUrl`, `height` pixels tall (or, with `heights`, as tall as the frame's width asks).
 */
export interface ShownPart {
  label: string;
  text?: string;
  code?: boolean;
  safeHtml?: string;
  frameUrl?: string;
  height?: number;
  /**
   * "width:height …", widest last: the frame's height from that width up, when the channel estimates it per width.
   * The console's script picks the one for the frame's width; without it `height` (the narrowest's) applies.
   */
  heights?: string;
  /** Where the channel cut the message, and what it left out. */
  cut?: string;
}

export interface ShownMeasure {
  label: string;
  value: string;
  over: boolean;
  /** For a gauge: the count and the limit (absent when the channel has none). */
  gauge?: { value: number; max: number; low: number };
}

const FRAME_HEIGHT = 320;
/** The frame's border (the console's boxes are border-box): the channel's height is its content's. */
const FRAME_BORDER = 2;
/** The frame widths the console may show (a phone's panel to a wide one), every 40 CSS px. */
export const FRAME_WIDTHS = Array.from({ length: 18 }, (_, i) => 280 + i * 40);

/** A part's frame height, fixed or per width. */
export function frameHeights(height: number | ((frameWidth: number) => number) | undefined): {
  height: number;
  heights?: string;
} {
  if (typeof height !== 'function') return { height: (height ?? FRAME_HEIGHT) + FRAME_BORDER };
  const pairs = FRAME_WIDTHS.map((width) => [width, Math.ceil(height(width)) + FRAME_BORDER] as const);
  return { height: pairs[0]![1], heights: pairs.map(([w, h]) => `${w}:${h}`).join(' ') };
}

export interface ShownMessage {
  parts: ShownPart[];
  measures: ShownMeasure[];
  /** Over a limit, or the channel's advice: "<channel>: …", for the list before publishing. */
  warnings: string[];
}

const number = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** "312 / 280 weighted characters (UCS-2, 117 code units)". */
export function measureLine(measure: Measure): string {
  const count =
    measure.limit === undefined
      ? `${number(measure.value)} ${measure.unit}`
      : `${number(measure.value)} / ${number(measure.limit)} ${measure.unit}`;
  return measure.detail ? `${count} (${measure.detail})` : count;
}

export const isOver = (measure: Measure) => measure.limit !== undefined && measure.value > measure.limit;

/** Why a measure keeps a message from going out as it is, or the channel's advice, naming the channel. */
export function measureWarnings(channelName: string, measures: Measure[]): string[] {
  return measures.flatMap((m) => [
    ...(isOver(m)
      ? [`${channelName}: ${m.label} is ${number(m.value)} ${m.unit}; the limit is ${number(m.limit!)} ${m.unit}`]
      : []),
    ...(m.advice ? [`${channelName}: ${m.advice}`] : []),
  ]);
}

/**
 * Renders the context with the channel and asks the channel what that shows and how it measures: the console
 * reads nothing from the rendered value itself. Throws what the channel throws (a template error, a bad config).
 */
export function describeUpdate(channel: Channel, ctx: UpdateContext): { parts: PreviewPart[]; measures: Measure[] } {
  const rendered = channel.render(ctx);
  return { parts: channel.preview(rendered), measures: channel.measure(rendered) };
}

/** The parts and measures as a page shows them; `frame` keeps an HTML part for its sandboxed frame, giving its URL. */
export async function showDescribed(
  channelName: string,
  described: { parts: PreviewPart[]; measures: Measure[] },
  frame: (html: string) => Promise<string>,
): Promise<ShownMessage> {
  const parts = await Promise.all(
    described.parts.map(async (part): Promise<ShownPart> => {
      if ('html' in part) return { label: part.label, frameUrl: await frame(part.html), ...frameHeights(part.height) };
      const cut = part.cut ? { cut: part.cut } : {};
      if (part.format === 'markdown') return { label: part.label, safeHtml: markdownToSafeHtml(part.text), ...cut };
      return { label: part.label, text: part.text, ...(part.format === 'code' ? { code: true } : {}), ...cut };
    }),
  );
  return {
    parts,
    measures: described.measures.map((m) => ({
      label: m.label,
      value: measureLine(m),
      over: isOver(m),
      ...(m.limit ? { gauge: { value: Math.min(m.value, m.limit), max: m.limit, low: m.limit * 0.8 } } : {}),
    })),
    warnings: measureWarnings(channelName, described.measures),
  };
}

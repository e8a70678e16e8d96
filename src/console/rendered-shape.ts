import { countGraphemes } from '../render/fit.js';
import type { Channel } from '../channels/channel.js';
import { smsSegments } from './sms-segments.js';
import { tweetWeight } from './twitter-weight.js';

/** One thing a person would see: a post, an SMS, an email part… */
export interface PreviewPart {
  label: string;
  text?: string;
  /** HTML shown in a sandboxed frame (email bodies). */
  html?: string;
}

export interface PreviewMetric {
  label: string;
  value: string;
  over: boolean;
}

export interface ShapedPreview {
  parts: PreviewPart[];
  metrics: PreviewMetric[];
  warnings: string[];
  /** The rendered value as JSON, for shapes the console does not know. */
  raw?: string;
}

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const SMS_SEGMENT_WARNING = 3;

/**
 * Reads a channel's rendered value by its shape, never by importing the channel: strings, `{text}`,
 * `{subject, html, text}` (email), `{body}` (SMS), `{title, raw}` (forum), `{text, blocks}` (chat), arrays
 * of posts (threads). Unknown shapes are shown as JSON. Limits come from the channel's capabilities and kind.
 */
export function shapeRendered(
  channel: Pick<Channel, 'kind' | 'name' | 'capabilities'>,
  rendered: unknown,
): ShapedPreview {
  const parts: PreviewPart[] = [];
  const collect = (value: unknown, label: string) => {
    if (typeof value === 'string') {
      parts.push({ label, text: value });
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) collect(item, `${label} ${i + 1} of ${value.length}`);
      return;
    }
    if (!isObject(value)) return;
    const posts = value.posts ?? value.tweets ?? value.thread ?? value.messages;
    if (Array.isArray(posts)) {
      collect(posts, 'Post');
      return;
    }
    const subject = str(value.subject);
    const title = str(value.title);
    if (subject) parts.push({ label: 'Subject', text: subject });
    else if (title) parts.push({ label: 'Title', text: title });
    const html = str(value.html);
    if (html) parts.push({ label: 'HTML', html });
    const text =
      str(value.text) ??
      str(value.body) ??
      str(value.raw) ??
      str(value.content) ??
      str(value.status) ??
      str(value.message);
    if (text !== undefined) parts.push({ label: html ? 'Plain text' : label, text });
  };
  collect(rendered, 'Message');

  const metrics: PreviewMetric[] = [];
  const warnings: string[] = [];
  const texts = parts.filter((p) => p.text !== undefined && p.label !== 'Subject' && p.label !== 'Title');
  const kind = channel.kind.toLowerCase();

  for (const part of texts) {
    const text = part.text!;
    const suffix = texts.length > 1 ? ` (${part.label.toLowerCase()})` : '';
    if (kind === 'twitter') {
      const { weighted } = tweetWeight(text);
      const over = weighted > 280;
      metrics.push({ label: `Weighted length${suffix}`, value: `${weighted} / 280`, over });
      if (over) warnings.push(`${channel.name}: the post is ${weighted} weighted characters; X takes at most 280`);
    } else if (kind === 'sms') {
      const s = smsSegments(text);
      const over = s.segments > SMS_SEGMENT_WARNING;
      metrics.push({
        label: `SMS segments${suffix}`,
        value: `${s.segments} (${s.encoding}, ${s.units} ${s.encoding === 'GSM-7' ? 'septets' : 'code units'})`,
        over,
      });
      if (s.nonGsm.length)
        warnings.push(
          `${channel.name}: ${s.nonGsm.map((c) => `'${c}'`).join(' ')} switch the SMS to UCS-2 (70 characters per part)`,
        );
      if (over) warnings.push(`${channel.name}: each SMS costs ${s.segments} parts per recipient`);
    } else if (channel.capabilities.maxLength) {
      const length = countGraphemes(text);
      const over = length > channel.capabilities.maxLength;
      metrics.push({ label: `Length${suffix}`, value: `${length} / ${channel.capabilities.maxLength}`, over });
      if (over) warnings.push(`${channel.name}: ${length} characters; the limit is ${channel.capabilities.maxLength}`);
    } else {
      metrics.push({ label: `Length${suffix}`, value: String(countGraphemes(text)), over: false });
    }
  }

  const known = parts.length > 0;
  const raw = !known || (isObject(rendered) && Array.isArray(rendered.blocks)) ? safeJson(rendered) : undefined;
  if (!known) warnings.push(`${channel.name}: the console does not know this message's shape; showing it as JSON`);
  return { parts, metrics, warnings, ...(raw !== undefined ? { raw } : {}) };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

import type { Measure } from '../channel.js';

// SMS length in segments, as carriers count it. GSM-7 (the default alphabet): 160 units in one segment,
// 153 per segment once split (the rest is the concatenation header); characters of the extension table
// (^ { } \ [ ~ ] | € and form feed) take two units. Anything outside GSM-7 turns the whole message into UCS-2:
// 70 UTF-16 code units in one segment, 67 per segment once split (an emoji is two units).

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';
const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export function encodingOf(text: string): SmsEncoding {
  for (const ch of text) if (!basic.has(ch) && !extension.has(ch)) return 'UCS-2';
  return 'GSM-7';
}

/** Length in the encoding's units: GSM-7 septets (extension characters 2) or UTF-16 code units. */
export function unitsOf(text: string, encoding: SmsEncoding = encodingOf(text)): number {
  if (encoding === 'UCS-2') return text.length;
  let n = 0;
  for (const ch of text) n += extension.has(ch) ? 2 : 1;
  return n;
}

/** Segments a text costs: none for an empty text (nothing is sent), then 1 up to 160/70 units, then 153/67 each. */
export function segmentsOf(text: string): { encoding: SmsEncoding; units: number; segments: number } {
  const encoding = encodingOf(text);
  const units = unitsOf(text, encoding);
  const [single, multi] = encoding === 'GSM-7' ? [160, 153] : [70, 67];
  return { encoding, units, segments: units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi) };
}

/** The characters outside GSM-7 that turn a text into UCS-2 (the first ten), to show what to replace. */
export function nonGsmCharacters(text: string): string[] {
  const found = new Set<string>();
  for (const ch of text) if (!basic.has(ch) && !extension.has(ch)) found.add(ch);
  return [...found].slice(0, 10);
}

/** A text's segments against the channel's budget, with its encoding and what forced UCS-2. */
export function smsMeasure(text: string, maxSegments: number): Measure {
  const { encoding, units, segments } = segmentsOf(text);
  const forced = encoding === 'UCS-2' ? nonGsmCharacters(text) : [];
  return {
    label: 'SMS segments',
    value: segments,
    limit: maxSegments,
    unit: 'segments',
    detail: `${encoding}, ${units} ${encoding === 'GSM-7' ? 'septets' : 'code units'}`,
    ...(forced.length
      ? {
          advice: `${forced.map((c) => `'${c}'`).join(' ')} switch the SMS to UCS-2 (70 characters per segment instead of 160)`,
        }
      : {}),
  };
}

/** Units that fit in `segments` segments of the encoding. */
export function budgetFor(encoding: SmsEncoding, segments: number): number {
  const [single, multi] = encoding === 'GSM-7' ? [160, 153] : [70, 67];
  return segments <= 1 ? single : multi * segments;
}

/**
 * head + body + tail in at most `maxSegments` segments: the body is cut at a word boundary with an ellipsis
 * ("..." in GSM-7, which has no "…"), head and tail (the link, the opt-out line) are always kept.
 */
export function fitSms(parts: { head: string; body: string; tail: string }, maxSegments: number): string {
  const join = (body: string) => [parts.head, body, parts.tail].filter(Boolean).join('\n');
  const whole = join(parts.body);
  if (segmentsOf(whole).segments <= maxSegments) return whole;
  const encoding = encodingOf(whole);
  const ellipsis = encoding === 'GSM-7' ? '...' : '…';
  const budget = budgetFor(encoding, maxSegments);
  const chars = Array.from(parts.body);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const candidate = join(chars.slice(0, mid).join('').trimEnd() + ellipsis);
    if (unitsOf(candidate, encoding) <= budget) lo = mid;
    else hi = mid - 1;
  }
  let cut = chars.slice(0, lo).join('');
  const space = cut.search(/\s\S*$/);
  if (space > cut.length * 0.6) cut = cut.slice(0, space);
  const body = cut.trimEnd();
  return join(body ? body + ellipsis : '').replace(/\n\n+/g, '\n');
}

import type { Measure } from '../channel.js';
import { type Cut, fitTextWithCut } from '../../render/fit.js';
import { toGsmForms } from './transliterate.js';

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

export interface SmsParts {
  /** Site, status and title: shortened first when the message needs the room. */
  head: string;
  /** The update's message: always carried, from its start, cut at a sentence, clause or word. */
  body: string;
  /** The link and the opt-out line: never cut. */
  tail: string;
  /** Optional (the affected components): included only when the whole message still fits. */
  extra?: string;
}

/**
 * The SMS in at most `maxSegments` segments. Typographic characters take their GSM-7 forms first, so only what
 * truly needs UCS-2 costs UCS-2. The tail is always kept; the body keeps at least two thirds of the room the tail leaves
 * (the head, the title, is shortened first); a cut falls at a boundary and ends in "..." (GSM-7 has no "…").
 */
export function fitSms(parts: SmsParts, maxSegments: number): string {
  return fitSmsWithCut(parts, maxSegments).text;
}

export function fitSmsWithCut(parts: SmsParts, maxSegments: number): { text: string; cut: Cut | null } {
  const head = toGsmForms(parts.head).trim();
  const body = toGsmForms(parts.body).trim();
  const tail = toGsmForms(parts.tail).trim();
  const extra = parts.extra ? toGsmForms(parts.extra).trim() : '';
  const join = (...lines: string[]) => lines.filter(Boolean).join('\n');
  if (extra) {
    const all = join(head, body, extra, tail);
    if (segmentsOf(all).segments <= maxSegments) return { text: all, cut: null };
  }
  const whole = join(head, body, tail);
  if (segmentsOf(whole).segments <= maxSegments) return { text: whole, cut: null };
  const encoding = encodingOf(whole);
  return fitTextWithCut({ head, body, tail }, budgetFor(encoding, maxSegments), (t) => unitsOf(t, encoding), {
    separator: '\n',
    ellipsis: encoding === 'GSM-7' ? '...' : '…',
    bodyFloor: 0.65,
  });
}

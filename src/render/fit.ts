export interface FitParts {
  /** Kept whole where possible (status, title). */
  head?: string;
  /** Cut at a word boundary with an ellipsis when the whole does not fit. */
  body: string;
  /** Always kept (the incident link). */
  tail?: string;
}

const ELLIPSIS = '…';
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Printable ASCII, tab and LF: between two of these there is always a grapheme break (UAX #29: GB4/GB5 around
 * controls, GB999 otherwise), and none of them is Extend, ZWJ, SpacingMark or Prepend. CR is left out (CR × LF).
 */
const isPlain = (code: number) => (code >= 0x20 && code <= 0x7e) || code === 0x0a || code === 0x09;

/**
 * The text's graphemes. Only the stretches around other characters go through Intl.Segmenter: it costs
 * microseconds per call and slows down sharply on long strings in Node 20 (seconds for 100k characters),
 * while most incident text is plain ASCII, one grapheme per character.
 */
export function graphemes(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    // Cut before i when text[i-1] and text[i] are both plain (a sure break), and at the end.
    if (i < text.length && !(isPlain(text.charCodeAt(i - 1)) && isPlain(text.charCodeAt(i)))) continue;
    if (i - start === 1) out.push(text[start]!);
    else for (const g of segmenter.segment(text.slice(start, i))) out.push(g.segment);
    start = i;
  }
  return out;
}

/** Grapheme count: what a person sees as one character (an emoji with modifiers is one). */
export function countGraphemes(text: string): number {
  for (let i = 0; i < text.length; i++) if (!isPlain(text.charCodeAt(i))) return graphemes(text).length;
  return text.length;
}

/** The parts as fitText joins them when they fit whole: separated by blank lines, empty parts left out. */
export const joinFitParts = (parts: FitParts) =>
  [parts.head ?? '', parts.body, parts.tail ?? ''].filter((p) => p.length > 0).join('\n\n');

/**
 * Joins head, body and tail with blank lines so that `measure(result) <= max`, shortening the body first,
 * then the head; the tail is never cut. Cuts fall on grapheme boundaries, at a word break where one is near.
 */
export function fitText(parts: FitParts, max: number, measure: (s: string) => number = countGraphemes): string {
  const join = (head: string, body: string) => joinFitParts({ head, body, tail: parts.tail });
  const head = parts.head ?? '';
  // A runaway message is cut to what could possibly survive before anything measures it.
  const budget = Math.max(max, 1) * 16;
  const whole = join(head, parts.body);
  if (parts.body.length <= budget && measure(whole) <= max) return whole;

  const body = longestPrefix(parts.body.slice(0, budget), (cut) => measure(join(head, cut)) <= max);
  if (body !== null) return join(head, body);
  const shortHead = longestPrefix(head, (cut) => measure(join(cut, '')) <= max) ?? '';
  return join(shortHead, '');
}

/** The longest word-boundary prefix of `text` (with an ellipsis) that `fits`, or null when none does. */
function longestPrefix(text: string, fits: (candidate: string) => boolean): string | null {
  const units = graphemes(text);
  const candidate = (n: number) => {
    let cut = units.slice(0, n).join('');
    const lastSpace = cut.search(/\s\S*$/);
    if (lastSpace > cut.length * 0.6) cut = cut.slice(0, lastSpace);
    return cut.trimEnd() + ELLIPSIS;
  };
  let low = 1;
  let high = units.length - 1;
  let best: string | null = null;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const c = candidate(mid);
    if (fits(c)) {
      best = c;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return best;
}

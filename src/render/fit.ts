export interface FitParts {
  /** Kept whole where possible (status, title). */
  head?: string;
  /** Cut at a sentence, clause or word boundary with an ellipsis when the whole does not fit. */
  body: string;
  /** Always kept (the incident link). */
  tail?: string;
}

/** Where a fitted text was cut, for the console's preview: what was kept of the body and what was left out. */
export interface Cut {
  /** The body as posted, ellipsis included. */
  kept: string;
  /** The body's text that did not make it (trimmed). */
  omitted: string;
  /** The boundary the cut fell on. */
  at: 'sentence' | 'clause' | 'word' | 'character';
  /** The head (title) was shortened too, to leave room for the body. */
  headCut?: boolean;
}

export const ELLIPSIS = '…';
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
    else segmentStretch(text.slice(start, i), out);
    start = i;
  }
  return out;
}

/** Characters Intl.Segmenter is given at once: its cost grows much faster than the length (72k CJK: 13 s). */
const SEGMENT_WINDOW = 1024;

/**
 * The graphemes of a stretch, segmented a window at a time. Each window starts at a grapheme boundary (where
 * segmenting afresh gives the same breaks) and its last grapheme, which the window's end may have cut, is left to
 * the next one; a single grapheme longer than a window (a pile of combining marks) doubles it.
 */
function segmentStretch(stretch: string, out: string[]): void {
  let start = 0;
  let window = SEGMENT_WINDOW;
  while (start < stretch.length) {
    const end = start + window;
    if (end >= stretch.length) {
      for (const g of segmenter.segment(stretch.slice(start))) out.push(g.segment);
      return;
    }
    const segments = [...segmenter.segment(stretch.slice(start, end))];
    if (segments.length < 2) {
      window *= 2;
      continue;
    }
    for (let k = 0; k < segments.length - 1; k++) out.push(segments[k]!.segment);
    start += segments[segments.length - 1]!.index;
    window = SEGMENT_WINDOW;
  }
}

/** Grapheme count: what a person sees as one character (an emoji with modifiers is one). */
export function countGraphemes(text: string): number {
  for (let i = 0; i < text.length; i++) if (!isPlain(text.charCodeAt(i))) return graphemes(text).length;
  return text.length;
}

/** The parts as fitText joins them when they fit whole: separated by blank lines, empty parts left out. */
export const joinFitParts = (parts: FitParts, separator = '\n\n') =>
  [parts.head ?? '', parts.body, parts.tail ?? ''].filter((p) => p.length > 0).join(separator);

export interface FitOptions {
  /** Between head, body and tail; default a blank line. */
  separator?: string;
  /** Marks a cut; default "…" (SMS uses "..." in GSM-7). */
  ellipsis?: string;
  /**
   * When the body would keep less than this share of the room (0..1) with the head whole, the head is cut first so
   * the message itself gets through; default 0 (the head stays whole while any of the body fits).
   */
  bodyFloor?: number;
}

/**
 * Joins head, body and tail so that `measure(result) <= max`, shortening the body first (at a sentence, then a
 * clause, then a word: {@link cutAtBoundary}), then the head; the tail is never cut.
 */
export function fitText(
  parts: FitParts,
  max: number,
  measure: (s: string) => number = countGraphemes,
  options: FitOptions = {},
): string {
  return fitTextWithCut(parts, max, measure, options).text;
}

/** {@link fitText}, also saying where the body was cut (null when everything fit). */
export function fitTextWithCut(
  parts: FitParts,
  max: number,
  measure: (s: string) => number = countGraphemes,
  options: FitOptions = {},
): { text: string; cut: Cut | null } {
  const separator = options.separator ?? '\n\n';
  const ellipsis = options.ellipsis ?? ELLIPSIS;
  const join = (head: string, body: string) => joinFitParts({ head, body, tail: parts.tail }, separator);
  let head = parts.head ?? '';
  // A runaway message is cut to what could possibly survive before anything measures it.
  const budget = Math.max(max, 1) * 16;
  const whole = join(head, parts.body);
  if (parts.body.length <= budget && measure(whole) <= max) return { text: whole, cut: null };
  const source = parts.body.slice(0, budget);

  let headCut = false;
  const floor = options.bodyFloor ?? 0;
  if (floor > 0 && head) {
    // Room the body would have with no head at all, and what it keeps with the whole head.
    const room = max - measure(join('', ''));
    const wanted = Math.min(measure(source), Math.floor(room * floor));
    const withHead = cutAtBoundary(source, (c) => measure(join(head, c)) <= max, ellipsis);
    if (!withHead || measure(withHead.kept) < wanted) {
      const floorBody = cutAtBoundary(source, (c) => measure(c) <= wanted, ellipsis)?.kept ?? '';
      const shortHead = cutAtBoundary(head, (c) => measure(join(c, floorBody)) <= max, ellipsis, 'word-only');
      head = shortHead && measure(shortHead.kept) >= 8 ? shortHead.kept : '';
      headCut = true;
    }
  }
  if (measure(join(head, source)) <= max) return { text: join(head, source), cut: null };
  const body = cutAtBoundary(source, (cut) => measure(join(head, cut)) <= max, ellipsis);
  if (body) {
    return {
      text: join(head, body.kept),
      cut: {
        kept: body.kept,
        omitted: parts.body.slice(body.consumed).trim(),
        at: body.at,
        ...(headCut ? { headCut } : {}),
      },
    };
  }
  const shortHead = cutAtBoundary(head, (cut) => measure(join(cut, '')) <= max, ellipsis)?.kept ?? '';
  return { text: join(shortHead, ''), cut: { kept: '', omitted: parts.body.trim(), at: 'character', headCut: true } };
}

// Boundaries, checked on the text before the cut. A sentence ends with . ! ? (or their CJK forms) before a space,
// or at a line break (a list item, a paragraph); a clause at , ; : or a dash between spaces.
const SENTENCE_END = /(?:[.!?…。！？][)"'’”»]*(?=\s)|[。！？])|\n/g;
const CLAUSE_END = /[,;:،、，；：](?=\s)|[、，；：]|\s[-–—](?=\s)/g;
/** Spans never cut in the middle: links (bare, Markdown, Slack's <url|label>) and Markdown emphasis markers. */
const ATOMIC = /\[[^\]\n]*\]\([^)\s]*\)|<(?:https?|mailto):[^>\n]*>|https?:\/\/[^\s<>]*|mailto:[^\s<>]*/g;
/** What must not be left dangling at the end of a cut: list markers, openers, dashes and separators. */
const DANGLING = /(?:(?:^|\n)\s*(?:[-*+•]|\d+[.)])\s*|[\s([{«“‘*_~`|\-–—,;:/\\]+)$/u;

/**
 * The longest prefix of `text` that `fits` once an ellipsis is added, cut at the last sentence end when that keeps
 * at least half of what would fit, else at a clause end (two thirds), else at a word (or any character in text
 * without spaces, as CJK). The cut never falls inside a link, and never leaves a list marker, an opening bracket or
 * a dash dangling. Null when not even one character fits.
 */
export function cutAtBoundary(
  text: string,
  fits: (candidate: string) => boolean,
  ellipsis = ELLIPSIS,
  mode: 'boundaries' | 'word-only' = 'boundaries',
): { kept: string; consumed: number; at: Cut['at'] } | null {
  const units = graphemes(text);
  const prefixLength: number[] = [0];
  for (const u of units) prefixLength.push(prefixLength.at(-1)! + u.length);
  let low = 1;
  let high = units.length - 1;
  let best = 0;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (fits(units.slice(0, mid).join('').trimEnd() + ellipsis)) {
      best = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  if (best === 0) return null;
  // Try the boundaries from the best kind down; each candidate is shorter than the hard cut, so it fits too
  // (checked anyway: a measure need not be monotonic in every corner).
  for (const choice of boundaryCuts(text, prefixLength[best]!, mode)) {
    const kept = tidy(text.slice(0, choice.end));
    if (!kept) continue;
    const candidate = /(\.\.\.|…)$/.test(kept) ? kept : kept + joiner(kept) + ellipsis;
    if (fits(candidate)) return { kept: candidate, consumed: choice.end, at: choice.at };
  }
  return null;
}

const joiner = (kept: string) => (/[.!?。！？]["'’”»)]*$/.test(kept) ? ' ' : '');

function tidy(text: string): string {
  let out = text;
  for (let i = 0; i < 4; i++) {
    const next = out.replace(DANGLING, '').trimEnd();
    if (next === out) break;
    out = next;
  }
  return out;
}

function* boundaryCuts(text: string, limit: number, mode: 'boundaries' | 'word-only') {
  const end = outsideAtomic(text, limit);
  const prefix = text.slice(0, end);
  if (mode === 'boundaries') {
    const sentence = lastMatchEnd(prefix, SENTENCE_END);
    if (sentence >= limit * 0.5) yield { end: sentence, at: 'sentence' as const };
    const clause = lastMatchEnd(prefix, CLAUSE_END);
    if (clause >= limit * 0.66) yield { end: clause, at: 'clause' as const };
  }
  // A word: the last space, or any character when the text has no space near (CJK, one long token). A cut that
  // lands on a space or a line end is already at a word.
  const atBreak = end === text.length || /\s/.test(text[end] ?? '');
  const space = prefix.search(/\s\S*$/);
  if (atBreak) yield { end, at: 'word' as const };
  if (space >= limit * 0.5) yield { end: space, at: 'word' as const };
  yield { end, at: 'character' as const };
  if (space > 0) yield { end: space, at: 'word' as const };
}

/** `limit`, or the start of the link (or other unbreakable span) it falls inside. */
function outsideAtomic(text: string, limit: number): number {
  for (const match of text.matchAll(ATOMIC)) {
    const start = match.index;
    if (start >= limit) break;
    if (start + match[0].length > limit) return start;
  }
  return limit;
}

function lastMatchEnd(text: string, pattern: RegExp): number {
  let last = -1;
  for (const match of text.matchAll(pattern)) last = match.index + match[0].length;
  return last;
}

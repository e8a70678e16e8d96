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
const isPrintableAscii = (code: number) => code >= 0x20 && code <= 0x7e;

/**
 * Node 20's grapheme segmenter slows down sharply on long strings (seconds for 100k characters), so long text
 * is segmented in pieces. Pieces are cut between two printable ASCII characters, which no grapheme spans.
 */
function graphemes(text: string, piece = 256): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.length;
    if (text.length - start > piece) {
      for (let i = start + piece; i < text.length; i++) {
        if (isPrintableAscii(text.charCodeAt(i)) && isPrintableAscii(text.charCodeAt(i - 1))) {
          end = i;
          break;
        }
      }
    }
    for (const g of segmenter.segment(text.slice(start, end))) out.push(g.segment);
    start = end;
  }
  return out;
}

/** Grapheme count: what a person sees as one character (an emoji with modifiers is one). */
export const countGraphemes = (s: string) => graphemes(s).length;

/**
 * Joins head, body and tail with blank lines so that `measure(result) <= max`, shortening the body first,
 * then the head; the tail is never cut. Cuts fall on grapheme boundaries, at a word break where one is near.
 */
export function fitText(parts: FitParts, max: number, measure: (s: string) => number = countGraphemes): string {
  const join = (head: string, body: string) => [head, body, parts.tail ?? ''].filter((p) => p.length > 0).join('\n\n');
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

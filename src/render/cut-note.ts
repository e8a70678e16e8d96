import type { Cut } from './fit.js';

const BOUNDARY: Record<Cut['at'], string> = {
  sentence: 'at the end of a sentence',
  clause: 'at the end of a clause',
  word: 'between words',
  character: 'between characters (no word break near)',
};

const QUOTE_MAX = 80;

/**
 * What the console shows under a preview that was shortened: where the cut fell and the start of what was left out,
 * e.g. `Cut at the end of a sentence; left out (42 characters): “Orders already confirmed are not affected.”`.
 */
export function cutNote(cut: Cut | null | undefined): string | undefined {
  if (!cut) return undefined;
  const chars = [...cut.omitted].length;
  const quote = chars > QUOTE_MAX ? `${[...cut.omitted].slice(0, QUOTE_MAX).join('').trimEnd()}…` : cut.omitted;
  const head = cut.headCut ? ' The title was shortened first to leave room for the message.' : '';
  if (!cut.kept) return `Only the title and link fit: the whole message (${chars} characters) was left out.${head}`;
  return `Cut ${BOUNDARY[cut.at]}; left out (${chars} characters): “${quote}”.${head}`;
}

// Typographic characters that have a plain form in GSM-7. Text from a word processor or a phone keyboard carries
// them ("We’re", "10–20 min", "…"), and one of them alone would turn the whole SMS into UCS-2: 70 characters
// per segment instead of 160. Carriers and Twilio's "smart encoding" make the same replacements; letters outside
// GSM-7 (ł, ő, Cyrillic, CJK) and emoji are left alone: they truly need UCS-2.

const REPLACEMENTS: Array<[RegExp, string]> = [
  [/[\u2018\u2019\u201a\u201b\u2032\u02bc\u0060\u00b4]/g, "'"],
  [/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2039\u203a]/g, '"'],
  [/[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043]/g, '-'],
  [/\u2026/g, '...'],
  [/[\u2022\u2023\u25e6\u2219\u00b7]/g, '-'],
  // Non-breaking, thin, figure and ideographic spaces.
  [/[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]/g, ' '],
  // Zero-width characters and soft hyphens: nothing to show.
  [/[\u200b-\u200d\u2060\ufeff\u00ad]/g, ''],
  [/\u2122/g, 'TM'],
  [/\u00a9/g, '(c)'],
  [/\u00ae/g, '(R)'],
  [/\u00d7/g, 'x'],
  [/\u2192/g, '->'],
  [/\u2190/g, '<-'],
  [/\u2264/g, '<='],
  [/\u2265/g, '>='],
  [/\r\n?/g, '\n'],
];

/** The text with its typographic characters in their GSM-7 forms; anything else unchanged. */
export function toGsmForms(text: string): string {
  let out = text;
  for (const [pattern, replacement] of REPLACEMENTS) out = out.replace(pattern, replacement);
  return out;
}

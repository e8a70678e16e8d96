import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countGraphemes, graphemes } from '../../src/render/fit.js';

const reference = (text: string) =>
  [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);

// Characters that join with their neighbours: combining marks, ZWJ emoji, skin tones, flags, CR LF, Hangul jamo,
// Indic prepend and spacing marks: mixed with plain ASCII, tabs and newlines.
const tricky = fc.constantFrom(
  'e\u0301',
  '\u0301',
  '\u200d',
  '👩\u200d💻',
  '👍🏽',
  '🏽',
  '🇫🇷',
  '🇫',
  '\r\n',
  '\r',
  '\n',
  '\t',
  '\u1100\u1161\u11a8',
  '\u0915\u093f',
  '\u0600',
  'क्षि',
  '中文',
  'ÿ',
  '\u00ad',
  '\ufe0f',
  '#\ufe0f\u20e3',
  ' ',
  'a',
  'Z',
  '~',
  '.',
);
const text = fc
  .array(fc.oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ maxLength: 6 })), {
    maxLength: 40,
  })
  .map((parts) => parts.join(''));

describe('graphemes: the segmenter only where it is needed', () => {
  it('splits exactly as Intl.Segmenter does', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(graphemes(t)).toEqual(reference(t));
        expect(countGraphemes(t)).toBe(reference(t).length);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a combining mark with the ASCII letter before it, and CR LF as one', () => {
    expect(graphemes('cafe\u0301 ok')).toEqual(['c', 'a', 'f', 'e\u0301', ' ', 'o', 'k']);
    expect(countGraphemes('a\r\nb')).toBe(3);
    expect(countGraphemes('plain ascii\twith\nbreaks')).toBe('plain ascii\twith\nbreaks'.length);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countGraphemes, fitText, graphemes } from '../../src/render/fit.js';
import { markdownToSafeHtml, markdownToText } from '../../src/render/markdown.js';
import { Templates } from '../../src/render/templates.js';
import { TEMPLATES_DIR } from '../../src/app/herald.js';

describe('fitText', () => {
  it('returns the whole text when it fits', () => {
    expect(fitText({ head: 'Head', body: 'Body', tail: 'https://x.test' }, 100)).toBe('Head\n\nBody\n\nhttps://x.test');
  });

  it('cuts the body at a word boundary with an ellipsis and keeps the tail', () => {
    const out = fitText(
      { head: '[Investigating] API', body: 'word '.repeat(100), tail: 'https://status.test/i/1.html' },
      80,
    );
    expect(countGraphemes(out)).toBeLessThanOrEqual(80);
    expect(out.endsWith('https://status.test/i/1.html')).toBe(true);
    expect(out).toMatch(/word…\n\n/);
  });

  it('never splits a grapheme and always fits (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 600 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.integer({ min: 60, max: 400 }),
        (body, head, max) => {
          const tail = 'https://status.example.test/incidents/abc.html';
          const out = fitText({ head, body, tail }, max);
          expect(countGraphemes(out)).toBeLessThanOrEqual(max);
          expect(out.endsWith(tail)).toBe(true);
          // No half of a surrogate pair left behind, and no replacement character the input did not have.
          expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
          if (!`${head}${body}`.includes('\uFFFD')) expect(out.includes('\uFFFD')).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('markdown', () => {
  const corpus = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[x](javascript:alert(1))',
    '<a href="jAvAsCrIpT:alert(1)">x</a>',
    '<svg onload=alert(1)>',
    '<iframe src="https://evil.test"></iframe>',
    '"><script>alert(1)</script>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
  ];
  it.each(corpus)('leaves nothing executable from %s', (input) => {
    const html = markdownToSafeHtml(input);
    expect(html).not.toMatch(/<script|<iframe|<svg|\son\w+=|javascript:|data:text|style=/i);
  });

  it('keeps ordinary formatting and safe links', () => {
    expect(markdownToSafeHtml('**down** see [status](https://status.test)')).toBe(
      '<p><strong>down</strong> see <a href="https://status.test" rel="nofollow noopener" target="_blank">status</a></p>',
    );
  });

  it('plain text drops markup and keeps link targets', () => {
    expect(markdownToText('**Degraded** — see [the docs](https://docs.test) & <b>retry</b>')).toBe(
      'Degraded — see the docs (https://docs.test) & retry',
    );
  });
});

describe('templates', () => {
  const templates = new Templates(TEMPLATES_DIR);
  it('escapes values in the HTML environment and not in the text environment', () => {
    const html = templates.compileSource('<p>{{title}}</p>', 'html');
    const text = templates.compileSource('{{title}}', 'text');
    expect(html({ title: '<b>&' })).toBe('<p>&lt;b&gt;&amp;</p>');
    expect(text({ title: '<b>&' })).toBe('<b>&');
  });

  it('names the template when it does not compile', () => {
    expect(() => templates.compileSource('{{#if x}}', 'text', 'templates/x/y.hbs')).toThrow(/templates\/x\/y.hbs/);
  });
});

describe('plain text from hostile markdown', () => {
  it.each([
    '[click](javascript:alert(1))',
    '<a href="javascript:alert(1)">click</a>',
    '[click](data:text/html;base64,PHNjcmlwdD4=)',
    '<a href="&#106;avascript:alert(1)">click</a>',
  ])('drops the non-web link target of %s', (input) => {
    const text = markdownToText(input);
    expect(text).toContain('click');
    expect(text).not.toMatch(/javascript|data:/i);
  });

  it('fits a very long message quickly', () => {
    const started = performance.now();
    const out = fitText({ body: 'word '.repeat(20_000) + '🙂'.repeat(5_000), tail: 'https://status.test/i.html' }, 280);
    expect(countGraphemes(out)).toBeLessThanOrEqual(280);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('countGraphemes', () => {
  it('matches whole-string segmentation on long mixed text (property)', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 30 }),
            fc.constantFrom('ab', ' ', '\r\n', '👍🏽', 'é', '🇯🇵', 'x\u0301'),
          ),
          { maxLength: 200 },
        ),
        (parts) => {
          const text = parts.join('');
          expect(countGraphemes(text)).toBe(Array.from(segmenter.segment(text)).length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('template files', () => {
  it('pick up a saved edit without a restart and keep the last good version when an edit breaks', async () => {
    const { mkdirSync, writeFileSync, utimesSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('../helpers/env.js');
    const dir = tempDir();
    mkdirSync(join(dir, 'demo'));
    const file = join(dir, 'demo', 'message.txt.hbs');
    writeFileSync(file, 'v1 {{title}}');
    const problems: string[] = [];
    const render = new Templates(dir, (p) => problems.push(p)).compile('demo', 'message.txt.hbs');
    expect(render({ title: 'x' })).toBe('v1 x');
    const later = (s: number) => new Date(Date.now() + s * 1000);
    writeFileSync(file, 'v2 {{title}}');
    utimesSync(file, later(5), later(5));
    await new Promise((r) => setTimeout(r, 1_050));
    expect(render({ title: 'x' })).toBe('v2 x');
    writeFileSync(file, 'v3 {{#if title}}');
    utimesSync(file, later(10), later(10));
    await new Promise((r) => setTimeout(r, 1_050));
    expect(render({ title: 'x' })).toBe('v2 x');
    expect(problems[0]).toMatch(/message.txt.hbs[\s\S]*keeping the previous version/);
  });
});

describe('graphemes of long non-ASCII text', () => {
  const whole = (s: string) =>
    [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].map((g) => g.segment);
  // Pieces whose clusters span several code points, so a window's edge falls inside them.
  const piece = fc.constantFrom(
    '決済',
    '🇯🇵',
    '🇫🇷🇩🇪',
    '\u{1F1EF}',
    '👨‍👩‍👧‍👦',
    '👍🏽',
    'e\u0301',
    '\u0301',
    '\u200D',
    '각',
    '\u1100\u1161\u11A8',
    'क्षि',
    'ab ',
    '\n',
    '\u0600\u0661',
    '\uFE0F',
  );

  it('splits as Intl.Segmenter does on the whole text, whatever falls at a window edge', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 200, maxLength: 1500 }), (pieces) => {
        const text = pieces.join('');
        expect(graphemes(text)).toEqual(whole(text));
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a cluster longer than a window whole (a pile of combining marks)', () => {
    const text = `決${'a\u0301'.repeat(3)}${'\u0301'.repeat(5000)}済${'🇯🇵'.repeat(700)}`;
    expect(graphemes(text)).toEqual(whole(text));
  });

  it('takes linear time: 72,000 CJK characters in well under a second', () => {
    const cjk = '決済サービスで障害が発生しています。'.repeat(4000);
    const started = performance.now();
    expect(graphemes(cjk)).toHaveLength(cjk.length);
    expect(performance.now() - started).toBeLessThan(4_000);
  });
});

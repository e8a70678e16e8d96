/**
 * Raw HTML inside the commander's Markdown, made safe to hand to an HTML parser (sanitize-html's): nothing in it may
 * leave the parser in a state that reads the rest of the message as something other than text.
 *
 * - Elements whose content a parser reads as raw text up to their closing tag (`<style>`, `<script>`, `<textarea>`,
 *   … GFM's "disallowed raw HTML" and sanitize-html's non-text tags) lose their tags and keep their text: an
 *   unclosed `<style>` no longer swallows everything after it.
 * - Complete tags and complete comments pass (the sanitiser keeps the allowed tags and drops the rest); any other
 *   `<` (an unclosed comment, `<![CDATA[`, `<?`, `<!DOCTYPE`, a tag cut short) is escaped and shows as typed.
 */
const RAW_TEXT_ELEMENTS = new Set([
  'script',
  'style',
  'textarea',
  'title',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
  'plaintext',
  'noscript',
  'option',
]);

// A start or end tag as CommonMark defines one (quoted attribute values may hold '>' and '<').
const TAG_SOURCE =
  '<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\\s*=\\s*(?:[^\\s"\'=<>`]+|\'[^\']*\'|"[^"]*"))?)*\\s*/?>';
// A comment that a parser closes where it appears to close ("<!-->" and "<!--->" are closed at once by browsers).
const COMMENT_SOURCE = '<!--(?!-?>)[\\s\\S]*?-->';

export function neutraliseRawHtml(html: string): string {
  const tag = new RegExp(TAG_SOURCE, 'y');
  const comment = new RegExp(COMMENT_SOURCE, 'y');
  let out = '';
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    if (open < 0) return out + html.slice(at);
    out += html.slice(at, open);
    comment.lastIndex = open;
    tag.lastIndex = open;
    const whole = comment.exec(html) ?? tag.exec(html);
    if (whole) {
      const name = whole[2]?.toLowerCase();
      if (!name || !RAW_TEXT_ELEMENTS.has(name)) out += whole[0];
      at = open + whole[0].length;
    } else {
      out += '&lt;';
      at = open + 1;
    }
  }
  return out;
}

// Where an HTML block may start: up to three spaces of indent, as CommonMark allows.
const BLOCK_START = /^ {0,3}</;
const RAW_TEXT_TAG_START = /^ {0,3}<\/?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$)/;
const UNTIL_END_OF_DOCUMENT: Array<[RegExp, string]> = [
  [/^ {0,3}<!--/, '-->'],
  [/^ {0,3}<\?/, '?>'],
  [/^ {0,3}<!\[CDATA\[/, ']]>'],
  [/^ {0,3}<![A-Za-z]/, '>'],
];

/**
 * A line that holds nothing but one such tag (`<style>`, `</script>`): the whole line, to be dropped, so the text
 * after it starts a paragraph of its own instead of one that opens with a line break.
 */
export function lineOfRawTextTag(src: string): string | undefined {
  const line = /^ {0,3}(<[^\n]*?>)[ \t]*(?:\n|$)/.exec(src);
  if (!line) return undefined;
  const tag = new RegExp(`^${TAG_SOURCE}$`).exec(line[1]!);
  return tag && RAW_TEXT_ELEMENTS.has(tag[2]!.toLowerCase()) ? line[0] : undefined;
}

/**
 * CommonMark reads a block that starts with `<script>`, `<style>` or `<textarea>`, or with a comment, `<?`, `<!X`
 * or `<![CDATA[` whose end never comes, as HTML up to the end of the message: the rest would lose its Markdown.
 * Such a line is read as an ordinary paragraph instead (its tags then go as {@link neutraliseRawHtml} says).
 * `false` lets CommonMark's own rule decide every other block.
 */
export function isRawHtmlBlockToAvoid(src: string): boolean {
  if (!BLOCK_START.test(src)) return false;
  const name = RAW_TEXT_TAG_START.exec(src)?.[1]?.toLowerCase();
  if (name && RAW_TEXT_ELEMENTS.has(name)) return true;
  for (const [start, end] of UNTIL_END_OF_DOCUMENT) {
    const opening = start.exec(src);
    if (opening) return !src.includes(end, opening[0].length);
  }
  return false;
}

import type { Token, Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { markdownTokens } from '../markdown-parse.js';
import { neutraliseRawHtml } from '../raw-html.js';

/**
 * One target's way of writing formatted text (Slack's mrkdwn, Markdown, Teams' card text, plain text). The walker
 * reads the commander's Markdown once (marked's tokens, the same parse the HTML comes from) and asks the dialect
 * for each piece: no dialect ever sees the source's own syntax, so nothing of it leaks through as literal text.
 */
export interface Dialect {
  /** Literal text, escaped so the target shows it as typed. */
  text(text: string): string;
  strong(inner: string): string;
  em(inner: string): string;
  del(inner: string): string;
  code(text: string): string;
  /** `href` is a web or mail address (anything else never reaches a dialect: its label is shown as text). */
  link(href: string, label: string): string;
  lineBreak: string;
  heading(inner: string, depth: number): string;
  codeBlock(text: string): string;
  /** `inner` is the quote's blocks, already rendered. */
  blockquote(inner: string): string;
  hr(): string;
  /** The marker of an unordered list item at a nesting depth (0 for the outermost list). */
  bullet(depth: number): string;
  /** Spaces a nested list's lines are indented by, per level: the text's own rule (Markdown) or readability. */
  indent(marker: string): string;
}

const SAFE_LINK = /^(https?:|mailto:)/i;

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  copy: '©',
  reg: '®',
  trade: '™',
  bull: '•',
  middot: '·',
  euro: '€',
};

/** HTML character references as Markdown allows them in text (`&amp;`, `&#8217;`, `&#x2019;`) → characters. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** Raw HTML in the message as the text it shows (tags removed, the text of <style>/<script> kept as text). */
function htmlAsText(html: string): string {
  return decodeEntities(
    sanitizeHtml(neutraliseRawHtml(html).replace(/<br\s*\/?>/gi, '\n'), { allowedTags: [], allowedAttributes: {} }),
  );
}

export function renderInline(tokens: Token[] | undefined, d: Dialect): string {
  let out = '';
  for (const token of tokens ?? []) out += inline(token as Tokens.Generic, d);
  return out;
}

function inline(token: Tokens.Generic, d: Dialect): string {
  switch (token.type) {
    case 'text':
      return token.tokens ? renderInline(token.tokens, d) : d.text(decodeEntities(token.text));
    case 'escape':
      return d.text(token.text);
    case 'strong':
      return d.strong(renderInline(token.tokens, d));
    case 'em':
      return d.em(renderInline(token.tokens, d));
    case 'del':
      return d.del(renderInline(token.tokens, d));
    case 'codespan':
      return d.code(decodeEntities(token.text));
    case 'br':
      return d.lineBreak;
    case 'link': {
      const href = decodeEntities(String(token.href ?? '')).trim();
      const label = renderInline(token.tokens, d);
      return SAFE_LINK.test(href) ? d.link(href, label) : label;
    }
    case 'image': {
      const href = decodeEntities(String(token.href ?? '')).trim();
      const alt = d.text(decodeEntities(token.text || 'image'));
      return /^https?:/i.test(href) ? d.link(href, alt) : alt;
    }
    case 'html':
      return /^<br\s*\/?>$/i.test(token.text.trim()) ? d.lineBreak : d.text(htmlAsText(token.text));
    default:
      return 'tokens' in token && token.tokens ? renderInline(token.tokens, d) : d.text(String(token.text ?? ''));
  }
}

/** Blocks one after another with a blank line between them; a list's items one a line (never double-spaced). */
export function renderBlocks(tokens: Token[], d: Dialect, depth = 0): string {
  const blocks: string[] = [];
  for (const token of tokens) {
    const rendered = block(token as Tokens.Generic, d, depth);
    if (rendered.trim()) blocks.push(rendered.replace(/\s+$/, ''));
  }
  return blocks.join('\n\n');
}

function block(token: Tokens.Generic, d: Dialect, depth: number): string {
  switch (token.type) {
    case 'space':
    case 'def':
      return '';
    case 'paragraph':
    case 'text':
      return token.tokens ? renderInline(token.tokens, d) : d.text(decodeEntities(token.text));
    case 'heading':
      return d.heading(renderInline(token.tokens, d), token.depth);
    case 'code':
      return d.codeBlock(token.text);
    case 'blockquote':
      return d.blockquote(renderBlocks(token.tokens ?? [], d, depth));
    case 'hr':
      return d.hr();
    case 'list':
      return list(token as Tokens.List, d, depth);
    case 'table': {
      const table = token as Tokens.Table;
      const row = (cells: Tokens.TableCell[]) => cells.map((c) => renderInline(c.tokens, d)).join(' | ');
      return [row(table.header), ...table.rows.map(row)].join(d.lineBreak);
    }
    case 'html':
      return d.text(htmlAsText(token.text)).trim();
    default:
      return 'tokens' in token && token.tokens ? renderInline(token.tokens, d) : '';
  }
}

function list(token: Tokens.List, d: Dialect, depth: number): string {
  const start = typeof token.start === 'number' ? token.start : 1;
  return token.items
    .map((item, i) => {
      const marker = token.ordered ? `${start + i}.` : d.bullet(depth);
      const check = item.task ? (item.checked ? '[x] ' : '[ ] ') : '';
      // An item's own paragraphs stay together: a list is single-spaced whether it was written loose or tight.
      const inner = item.tokens
        .map((t) =>
          t.type === 'list' ? list(t as Tokens.List, d, depth + 1) : block(t as Tokens.Generic, d, depth + 1),
        )
        .filter((s) => s.trim())
        .join('\n');
      const pad = d.indent(marker);
      const [first = '', ...rest] = inner.split('\n');
      return [`${marker} ${check}${first}`, ...rest.map((line) => (line ? pad + line : line))].join('\n');
    })
    .join('\n');
}

/** The commander's Markdown in a dialect. */
export function renderDialect(markdown: string, d: Dialect): string {
  return renderBlocks(markdownTokens(markdown), d).trim();
}

/**
 * A dialect's renderer, remembering its last results: every channel renders the same update's message, and a
 * fan-out renders it once per page of recipients.
 */
export function dialectRenderer(d: Dialect, size = 64): (markdown: string) => string {
  const results = new Map<string, string>();
  return (markdown) => {
    let result = results.get(markdown);
    if (result === undefined) {
      result = renderDialect(markdown, d);
      if (results.size >= size) results.delete(results.keys().next().value!);
      results.set(markdown, result);
    }
    return result;
  };
}

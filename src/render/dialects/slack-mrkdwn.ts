import { type Dialect, dialectRenderer } from './walk.js';

/** Slack's escaping for text it formats: only &, < and > (https://api.slack.com/reference/surfaces/formatting#escaping). */
export const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `<url|label>`: '|' and '>' cannot appear in the label, so they are replaced by look-alikes. */
export const slackLink = (href: string, label: string) => {
  const url = href.replace(/&/g, '&amp;').replace(/[<>|\s]/g, encodeURIComponent);
  const shown = label.replace(/\|/g, '¦').replace(/>/g, '&gt;');
  return shown && shown !== escapeSlack(href) ? `<${url}|${shown}>` : `<${url}>`;
};

/**
 * Slack's mrkdwn (https://api.slack.com/reference/surfaces/formatting): *bold*, _italic_, ~strike~, `code`,
 * ```blocks```, <url|label>. It has no headings or lists: a heading is a bold line, list items start with "•"
 * (nested "◦", indented) or their number.
 */
export const slackDialect: Dialect = {
  text: escapeSlack,
  strong: (inner) => (inner.trim() ? `*${inner}*` : inner),
  em: (inner) => (inner.trim() ? `_${inner}_` : inner),
  del: (inner) => (inner.trim() ? `~${inner}~` : inner),
  code: (text) => `\`${escapeSlack(text).replace(/`/g, 'ˋ')}\``,
  link: slackLink,
  lineBreak: '\n',
  heading: (inner) => `*${inner.replace(/\*/g, '')}*`,
  codeBlock: (text) => `\`\`\`${escapeSlack(text).replace(/```/g, 'ˋˋˋ')}\`\`\``,
  blockquote: (inner) =>
    inner
      .split('\n')
      .map((line) => `>${line}`)
      .join('\n'),
  hr: () => '―――',
  bullet: (depth) => (depth % 2 === 0 ? '•' : '◦'),
  indent: () => '    ',
};

export const toSlackMrkdwn = dialectRenderer(slackDialect);

const unescapeSlack = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
/** Literal text in CommonMark: its own markers escaped (a sentence's full stop needs none). */
const literal = (s: string) => unescapeSlack(s).replace(/[\\`*_[\]<>~|]/g, '\\$&');
const INLINE =
  /`([^`\n]+)`|<([^|>\s]+)\|([^>]*)>|<([^|>\s]+)>|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])|(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])/g;

function inlineAsMarkdown(text: string): string {
  let out = '';
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    out += literal(text.slice(at, m.index));
    at = m.index + m[0].length;
    const [, code, url, label, bare, bold, italic, strike] = m;
    if (code !== undefined) out += `\`${unescapeSlack(code)}\``;
    else if (url !== undefined) out += `[${inlineAsMarkdown(label ?? '') || literal(url)}](<${unescapeSlack(url)}>)`;
    else if (bare !== undefined) out += `<${unescapeSlack(bare)}>`;
    else if (bold !== undefined) out += `**${inlineAsMarkdown(bold)}**`;
    else if (italic !== undefined) out += `*${inlineAsMarkdown(italic)}*`;
    else if (strike !== undefined) out += `~~${inlineAsMarkdown(strike)}~~`;
  }
  return out + literal(text.slice(at));
}

function lineAsMarkdown(line: string): string {
  const quote = line.startsWith('>') ? '> ' : '';
  const rest = quote ? line.slice(1) : line;
  const indent = /^ */.exec(rest)![0];
  // What would start a Markdown heading, list or rule at a line's start is text in Slack.
  const body = inlineAsMarkdown(rest.slice(indent.length))
    .replace(/^[#+\-=]/, '\\$&')
    .replace(/^(\d+)([.)])/, '$1\\$2');
  return `${quote}${'\u00a0'.repeat(indent.length)}${body}`;
}

/**
 * Slack mrkdwn (as `toSlackMrkdwn` writes it) as CommonMark, to show a message as Slack draws it: its markers as
 * Markdown's, everything else literal, each line break kept.
 */
export function mrkdwnAsMarkdown(mrkdwn: string): string {
  return mrkdwn
    .split(/```([\s\S]*?)```/)
    .map((part, i) =>
      i % 2
        ? `\n\`\`\`\n${unescapeSlack(part).replace(/^\n|\n$/g, '')}\n\`\`\`\n`
        : part.split('\n').map(lineAsMarkdown).join('  \n'),
    )
    .join('');
}

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

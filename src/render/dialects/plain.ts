import { type Dialect, dialectRenderer } from './walk.js';

/** "label (https://…)", or the address alone when the label is the address (an autolink, a mail address). */
export function plainLink(href: string, label: string): string {
  const bare = (s: string) =>
    s
      .trim()
      .replace(/^(mailto:|https?:\/\/)/i, '')
      .replace(/\/$/, '');
  if (!label.trim() || bare(label) === bare(href)) return href.replace(/^mailto:/i, '');
  return `${label} (${href})`;
}

/**
 * Plain text with links (posts on X, Mastodon and Bluesky, SMS, the text part of an email): no markup, each link
 * once as "label (url)", headings on a line of their own, list items one a line ("- ", "1. ", nested indented).
 */
export const plainDialect: Dialect = {
  text: (text) => text,
  strong: (inner) => inner,
  em: (inner) => inner,
  del: (inner) => inner,
  code: (text) => text,
  link: plainLink,
  lineBreak: '\n',
  heading: (inner) => inner,
  codeBlock: (text) => text,
  blockquote: (inner) =>
    inner
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n'),
  hr: () => '---',
  bullet: () => '-',
  indent: (marker) => ' '.repeat(marker.length + 1),
};

export const toPlainText = dialectRenderer(plainDialect);

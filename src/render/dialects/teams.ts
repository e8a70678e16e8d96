import { type Dialect, dialectRenderer } from './walk.js';

/**
 * Adaptive Card TextBlock text (https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features): a
 * Markdown subset of **bold**, _italic_, [label](url) and lists ("- ", "1. ", one item a line). No headings, code or
 * strike-through: a heading is a bold line, code is shown as text.
 */
const text = (s: string) =>
  s.replace(/([\\*_[\]])/g, '\\$1').replace(/^(\s*)(?:([-+])|(\d+)([.)]))(?=\s)/gm, '$1$2$3\u200b$4');

export const teamsDialect: Dialect = {
  text,
  strong: (inner) => (inner.trim() ? `**${inner}**` : inner),
  em: (inner) => (inner.trim() ? `_${inner}_` : inner),
  del: (inner) => inner,
  code: (s) => text(s),
  link: (href, label) =>
    !label || label === text(href) ? href : `[${label}](${href.replace(/[()\s]/g, encodeURIComponent)})`,
  lineBreak: '\n',
  heading: (inner) => `**${inner}**`,
  codeBlock: (s) => text(s),
  blockquote: (inner) => inner,
  hr: () => '―――',
  bullet: () => '-',
  indent: (marker) => ' '.repeat(marker.length + 1),
};

export const toTeamsText = dialectRenderer(teamsDialect);

import { type Dialect, dialectRenderer } from './walk.js';

/**
 * Markdown as chat platforms and forums render it (Discord, Mattermost, Discourse): the commander's formatting
 * written again, so what was text stays text. Every character Markdown could read as syntax is backslash-escaped
 * in text; with `html`, the target also reads HTML and BBCode (Discourse), so & < > become references.
 */
function markdownDialect(options: { html: boolean }): Dialect {
  const text = (s: string) => {
    let out = s.replace(/([\\`*_~[\]|#>])/g, '\\$1');
    out = options.html
      ? out.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      : out.replace(/</g, '\\<');
    // A line that starts like a list item is one in Markdown ("- x", "+ x", "1. x", "1) x").
    return out.replace(
      /^(\s*)(?:([-+])|(\d+)([.)]))(?=\s)/gm,
      (_m, space: string, sign?: string, n?: string, dot?: string) =>
        sign ? `${space}\\${sign}` : `${space}${n}\\${dot}`,
    );
  };
  return {
    text,
    strong: (inner) => (inner ? `**${inner}**` : ''),
    em: (inner) => (inner ? `*${inner}*` : ''),
    del: (inner) => (inner ? `~~${inner}~~` : ''),
    code: (s) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``),
    // An address shown as itself is an autolink: `<https://…>`, shown once.
    link: (href, label) =>
      !label || label === text(href) || label === text(href.replace(/^mailto:/i, ''))
        ? `<${href.replace(/[<>\s]/g, encodeURIComponent)}>`
        : `[${label}](${href.replace(/[()\s]/g, encodeURIComponent)})`,
    lineBreak: '\n',
    heading: (inner, depth) => `${'#'.repeat(Math.min(depth, 3))} ${inner}`,
    codeBlock: (s) => `\`\`\`\n${s.replace(/```/g, '`\u200b``')}\n\`\`\``,
    blockquote: (inner) =>
      inner
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n'),
    hr: () => '---',
    bullet: () => '-',
    indent: (marker) => ' '.repeat(marker.length + 1),
  };
}

/** Discord and Mattermost: Markdown, no HTML. */
export const toChatMarkdown = dialectRenderer(markdownDialect({ html: false }));
/** Discourse: Markdown that is also read as HTML and BBCode. */
export const toForumMarkdown = dialectRenderer(markdownDialect({ html: true }));

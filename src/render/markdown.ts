import sanitizeHtml from 'sanitize-html';
import { toPlainText } from './dialects/plain.js';
import { marked } from './markdown-parse.js';

const SAFE_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'em',
    'b',
    'i',
    'code',
    'pre',
    'ul',
    'ol',
    'li',
    'a',
    'blockquote',
    'h3',
    'h4',
    'del',
    'hr',
  ],
  allowedAttributes: { a: ['href', 'title'] },
  allowedSchemes: ['https', 'http', 'mailto'],
  allowProtocolRelative: false,
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener', target: '_blank' }),
    // Headings are kept (a postmortem's sections), one step below the page's or the email's own title.
    h1: 'h3',
    h2: 'h3',
    h5: 'h4',
    h6: 'h4',
  },
  disallowedTagsMode: 'discard',
};

/**
 * Every channel renders the same update's message, and a fan-out renders it once per page of recipients:
 * the conversions are pure, so the last few results are kept (by message) instead of parsing again.
 */
function remembered(convert: (markdown: string) => string, size = 64): (markdown: string) => string {
  const results = new Map<string, string>();
  return (markdown) => {
    let result = results.get(markdown);
    if (result === undefined) {
      result = convert(markdown);
      if (results.size >= size) results.delete(results.keys().next().value!);
      results.set(markdown, result);
    }
    return result;
  };
}

/** Commander's Markdown → HTML that can be placed in any page or email: no script, no handlers, no javascript: URLs. */
export const markdownToSafeHtml = remembered(convertToSafeHtml);

/** Commander's Markdown → plain text for SMS, posts and text email: markup removed, links kept once as "text (url)". */
export const markdownToText = toPlainText;

function convertToSafeHtml(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return sanitizeHtml(html, { ...SAFE_HTML, allowedAttributes: { a: ['href', 'title', 'rel', 'target'] } }).trim();
}

/**
 * Markdown → safe HTML for a page whose outline the message sits in: its headings are kept, shifted so that its
 * highest becomes `top` (h2…h6) and the rest keep their distance below it (never deeper than h6).
 */
export function markdownToPageHtml(markdown: string, top: number): string {
  const html = marked.parse(markdown) as string;
  let highest = 7;
  for (const m of html.matchAll(/<h([1-6])[\s>]/gi)) highest = Math.min(highest, Number(m[1]));
  const shift = highest === 7 ? 0 : Math.max(2, Math.min(6, top)) - highest;
  const heading = (tagName: string) => ({
    tagName: `h${Math.max(1, Math.min(6, Number(tagName.slice(1)) + shift))}`,
    attribs: {},
  });
  return sanitizeHtml(html, {
    ...SAFE_HTML,
    allowedTags: [...(SAFE_HTML.allowedTags as string[]), 'h1', 'h2', 'h5', 'h6'],
    allowedAttributes: { a: ['href', 'title', 'rel', 'target'] },
    transformTags: {
      ...SAFE_HTML.transformTags,
      h1: heading,
      h2: heading,
      h3: heading,
      h4: heading,
      h5: heading,
      h6: heading,
    },
  }).trim();
}

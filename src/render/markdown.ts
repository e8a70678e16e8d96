import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { isRawHtmlBlockToAvoid, lineOfRawTextTag, neutraliseRawHtml } from './raw-html.js';

const marked = new Marked(
  { gfm: true, breaks: true, async: false },
  {
    // Raw HTML in a message never takes the text after it along (an unclosed <style> would): see raw-html.ts.
    tokenizer: {
      html: (src) => {
        const line = lineOfRawTextTag(src);
        if (line) return { type: 'html', block: true, pre: false, raw: line, text: '' };
        return isRawHtmlBlockToAvoid(src) ? undefined : false;
      },
    },
    renderer: {
      html: ({ text, block }) => {
        const safe = neutraliseRawHtml(text);
        // A block that stopped short of a newline would run into the next paragraph's text in plain text.
        return block && !safe.endsWith('\n') ? `${safe}\n` : safe;
      },
    },
  },
);

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
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener', target: '_blank' }) },
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

/** Commander's Markdown → plain text for SMS, posts and text email: markup removed, links kept as "text (url)". */
export const markdownToText = remembered(convertToText);

function convertToSafeHtml(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return sanitizeHtml(html, { ...SAFE_HTML, allowedAttributes: { a: ['href', 'title', 'rel', 'target'] } }).trim();
}

function convertToText(markdown: string): string {
  const html = marked.parse(markdown) as string;
  const withBreaks = html
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gis, (_m, href: string, label: string) => {
      const target = decodeEntities(href).trim();
      // Only web and mail links survive into text: a javascript: or data: target is dropped, its label kept.
      if (!/^(https?:|mailto:)/i.test(target)) return label;
      return label.trim() === href.trim() ? href : `${label} (${href})`;
    })
    .replace(/<li>/gi, '\n- ')
    .replace(/<\/(p|h\d|blockquote|pre|ul|ol)>/gi, '\n\n')
    .replace(/<br\s*\/?>/gi, '\n');
  const text = sanitizeHtml(withBreaks, { allowedTags: [], allowedAttributes: {} });
  return decodeEntities(text)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, '&');
}

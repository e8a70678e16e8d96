import { Marked } from 'marked';
import { isRawHtmlBlockToAvoid, lineOfRawTextTag, neutraliseRawHtml } from './raw-html.js';

/** The one Markdown reading every output starts from: the HTML (markdown.ts) and each dialect (dialects/). */
export const marked = new Marked(
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

/** The commander's Markdown as marked's tokens, read with the same rules as the HTML (raw HTML kept in its place). */
export const markdownTokens = (markdown: string) => marked.lexer(markdown);

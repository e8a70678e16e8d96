import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { COMPONENT_STATUS_LABEL, IMPACT_LABEL, INCIDENT_STATUS_LABEL, formatUtc } from './labels.js';
import { markdownToPageHtml, markdownToSafeHtml, markdownToText } from './markdown.js';

export type TemplateFn = (context: object) => string;

/**
 * Two Handlebars environments: `html` escapes every value (pages, email HTML); `text` does not (posts, SMS,
 * plain email), and a channel escapes by its own rules (Slack's &<>, Markdown) after rendering.
 * Templates live in templates/<channel>/<name>.hbs and are compiled once when a channel is created.
 */
export class Templates {
  private readonly html = Handlebars.create();
  private readonly text = Handlebars.create();

  constructor(
    readonly dir: string,
    private readonly onReloadError: (message: string) => void = () => undefined,
  ) {
    for (const env of [this.html, this.text]) {
      env.registerHelper('statusLabel', (s: keyof typeof INCIDENT_STATUS_LABEL) => INCIDENT_STATUS_LABEL[s] ?? s);
      env.registerHelper(
        'componentStatusLabel',
        (s: keyof typeof COMPONENT_STATUS_LABEL) => COMPONENT_STATUS_LABEL[s] ?? s,
      );
      env.registerHelper('impactLabel', (s: keyof typeof IMPACT_LABEL) => IMPACT_LABEL[s] ?? s);
      env.registerHelper('utc', (iso: string) => (iso ? formatUtc(iso) : ''));
      env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    }
    this.html.registerHelper('markdown', (md: string) => new Handlebars.SafeString(markdownToSafeHtml(md ?? '')));
    // {{markdownAt message 4}}: the message's headings start at h4, below the page's own.
    this.html.registerHelper(
      'markdownAt',
      (md: string, top: number) => new Handlebars.SafeString(markdownToPageHtml(md ?? '', Number(top))),
    );
    this.text.registerHelper('markdown', (md: string) => markdownToText(md ?? ''));
  }

  /**
   * Compiles templates/<channel>/<file> in the escaping (file ends .html.hbs) or plain environment. The file is
   * looked at again at most once a second: a template saved from the console takes effect without a restart,
   * and an edit that no longer compiles keeps the last good version (with a warning) rather than break sends.
   */
  compile(channel: string, file: string): TemplateFn {
    const path = join(this.dir, channel, file);
    if (!existsSync(path)) throw new Error(`template not found: ${path}`);
    const mode = file.endsWith('.html.hbs') ? 'html' : 'text';
    let current = this.compileSource(readFileSync(path, 'utf8'), mode, path);
    let loadedMtime = statSync(path).mtimeMs;
    let checkedAt = Date.now();
    return (context) => {
      if (Date.now() - checkedAt >= 1_000) {
        checkedAt = Date.now();
        try {
          const mtime = statSync(path).mtimeMs;
          if (mtime !== loadedMtime) {
            loadedMtime = mtime;
            current = this.compileSource(readFileSync(path, 'utf8'), mode, path);
          }
        } catch (error) {
          this.onReloadError(`${(error as Error).message}; keeping the previous version`);
        }
      }
      return current(context);
    };
  }

  compileSource(source: string, mode: 'html' | 'text', origin = 'inline template'): TemplateFn {
    const env = mode === 'html' ? this.html : this.text;
    try {
      const template = env.compile(source, { strict: false, noEscape: mode === 'text' });
      template({}); // surface syntax errors now, not at the first incident
      return (context) => template(context);
    } catch (error) {
      throw new Error(`${origin}: ${(error as Error).message}`);
    }
  }
}

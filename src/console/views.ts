import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { COMPONENT_STATUS_LABEL, IMPACT_LABEL, INCIDENT_STATUS_LABEL, formatUtc } from '../render/labels.js';

export type ViewName =
  | 'login'
  | 'dashboard'
  | 'compose'
  | 'incident'
  | 'incidents'
  | 'progress'
  | 'postmortem'
  | 'maintenances'
  | 'components'
  | 'subscribers'
  | 'templates'
  | 'incident-templates'
  | 'incident-template'
  | 'error';

/**
 * Console pages: one HTML-escaping Handlebars environment of its own (so console helpers never leak into
 * channel templates), a layout, and partials from templates/console/partials.
 */
export class ConsoleViews {
  private readonly hbs = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(readonly dir: string) {
    const hbs = this.hbs;
    hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
    hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
    hbs.registerHelper('not', (a: unknown) => !a);
    hbs.registerHelper('includes', (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value));
    hbs.registerHelper(
      'statusLabel',
      (s: string) => INCIDENT_STATUS_LABEL[s as keyof typeof INCIDENT_STATUS_LABEL] ?? s,
    );
    hbs.registerHelper(
      'componentStatusLabel',
      (s: string) => COMPONENT_STATUS_LABEL[s as keyof typeof COMPONENT_STATUS_LABEL] ?? s,
    );
    hbs.registerHelper('impactLabel', (s: string) => IMPACT_LABEL[s as keyof typeof IMPACT_LABEL] ?? s);
    hbs.registerHelper('utc', (iso: unknown) => (typeof iso === 'string' && iso ? formatUtc(iso) : ''));
    hbs.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
    for (const file of readdirSync(join(dir, 'partials'))) {
      if (file.endsWith('.hbs'))
        hbs.registerPartial(file.slice(0, -4), readFileSync(join(dir, 'partials', file), 'utf8'));
    }
    this.layout = hbs.compile(readFileSync(join(dir, 'layout.hbs'), 'utf8'), { strict: false });
  }

  private page(name: string): Handlebars.TemplateDelegate {
    let template = this.pages.get(name);
    if (!template) {
      template = this.hbs.compile(readFileSync(join(this.dir, `${name}.hbs`), 'utf8'));
      this.pages.set(name, template);
    }
    return template;
  }

  /** A whole page: the view inside the layout. */
  render(name: ViewName, data: Record<string, unknown>): string {
    const body = this.page(name)(data);
    return this.layout({ ...data, body: new Handlebars.SafeString(body) });
  }

  /** One partial on its own (preview and progress fragments swapped in by console.js). */
  fragment(partial: string, data: Record<string, unknown>): string {
    return this.page(`partials/${partial}`)(data);
  }
}

// HTML pages of the status site, rendered through the HTML-escaping Handlebars environment.
// Only this module's own template output is ever inserted unescaped ({{{body}}}, {{{html}}}).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component, IncidentWithUpdates, Maintenance, SubscriberKind } from '../domain/types.js';
import { INCIDENT_STATUS_LABEL, statusTitle } from '../render/labels.js';
import { type Brand, loadBrand } from './brand.js';
import type { TemplateFn, Templates } from '../render/templates.js';
import type { ExternalGroupView } from './external.js';
import type { ComponentGroup } from './model.js';
import { dayLabel, formatUptime, groupUptime, type UptimeRow } from './uptime.js';
import { withUtc } from './time.js';

/** Days of "Past incidents" on the index, today included (Statuspage shows 15). */
export const PAST_DAYS = 15;

/** How many of the latest days the bars show on a narrow screen. */
const PHONE_DAYS = 30;

/** The one script: local times beside the UTC ones, named by its content like the stylesheet. */
const LOCAL_TIME_JS = readFileSync(join(import.meta.dirname, 'assets', 'local-time.js'), 'utf8');
export const localTimeScript = {
  path: `assets/local-time.${createHash('sha256').update(LOCAL_TIME_JS).digest('hex').slice(0, 10)}.js`,
  js: LOCAL_TIME_JS,
};

const BASE_CSS = readFileSync(join(import.meta.dirname, 'assets', 'style.css'), 'utf8');
const EMBED_CSS = readFileSync(join(import.meta.dirname, 'assets', 'embed.css'), 'utf8');

/** How many incidents and maintenances the widget lists (what fits 150 px); the rest are counted ("2 more"). */
export const EMBED_ITEMS = 2;

const SHORT_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
/** "20 May 10:00 UTC": a time short enough for the widget's one-line rows. */
const shortUtc = (iso: string) => `${SHORT_DAY.format(new Date(iso))} ${iso.slice(11, 16)} UTC`;
const SUBSCRIBE_JS = readFileSync(join(import.meta.dirname, 'assets', 'subscribe.js'), 'utf8');

/** subscribe.html's script, named by a hash of its content like the stylesheet. */
export const subscribeScript = {
  path: `assets/subscribe.${createHash('sha256').update(SUBSCRIBE_JS).digest('hex').slice(0, 10)}.js`,
  js: SUBSCRIBE_JS,
};

/** Another way to follow the page, listed on subscribe.html (a social account, a chat community). */
export interface FollowLink {
  label: string;
  url: string;
}

export interface PageSite {
  siteName: string;
  /** The last change to what the page shows. */
  updatedAt: string;
  historyDays: number;
  /** When this copy of the page was built for publishing (absent in previews): the freshness line. */
  publishedAt?: string;
}

export type EntryInput = Pick<IncidentWithUpdates, 'id' | 'title' | 'status' | 'impact' | 'startedAt'> & {
  /** Newest first; the first is shown. */
  updates: ReadonlyArray<{ message: string; createdAt: string }>;
};

export interface IndexInput {
  status: { indicator: string; description: string };
  active: IncidentWithUpdates[];
  /** Incidents started in the last PAST_DAYS days (up to `today`), any state: the index's "Past incidents". */
  past: IncidentWithUpdates[];
  /** YYYY-MM-DD, UTC: the newest day of the past incidents. */
  today: string;
  groups: ComponentGroup[];
  uptime: Map<string, UptimeRow>;
  /** Per component, day (YYYY-MM-DD) → the history page anchor of an incident that affected it that day. */
  dayLinks: Map<string, Map<string, string>>;
  maintenance: { active: Maintenance[]; upcoming: Maintenance[] };
  external: ExternalGroupView[];
}

/**
 * The stylesheet, named by a hash of its content and of the page templates: cacheable for good, and a new
 * name tells the builder that every page must be rendered again (a changed template).
 */
export function stylesheet(historyDays: number, templateSources = '', brandCss = ''): { path: string; css: string } {
  // A phone shows the last PHONE_DAYS days of the bars, as Statuspage does.
  let days = `.bars{grid-template-columns:repeat(${historyDays},1fr)}`;
  if (historyDays > PHONE_DAYS)
    days += `@media (max-width:40rem){.bars{grid-template-columns:repeat(${PHONE_DAYS},1fr)}.bars>:nth-child(-n+${historyDays - PHONE_DAYS}){display:none}.up .long{display:none}}@media (min-width:40.01rem){.up .short{display:none}}`;
  const css = `${BASE_CSS}${days}${brandCss}\n`;
  const hash = createHash('sha256').update(css).update(templateSources).digest('hex').slice(0, 10);
  return { path: `assets/style.${hash}.css`, css };
}

export class PageRenderer {
  private readonly layout: TemplateFn;
  private readonly index: TemplateFn;
  private readonly entry: TemplateFn;
  private readonly maintenance: TemplateFn;
  private readonly incident: TemplateFn;
  private readonly history: TemplateFn;
  private readonly subscribe: TemplateFn;
  private readonly notFound: TemplateFn;
  private readonly uptime: TemplateFn;
  private readonly embed: TemplateFn;
  readonly css: { path: string; css: string };
  /** embed.html's own small stylesheet (the brand's link colour included). */
  readonly embedCss: { path: string; css: string };

  constructor(
    templates: Templates,
    historyDays: number,
    /** The site's brand (its logo takes room in the header: the console's preview estimates the page's height). */
    readonly brand: Brand = loadBrand(),
  ) {
    const sources: string[] = [];
    const t = (file: string) => {
      sources.push(readFileSync(join(templates.dir, 'statuspage', file), 'utf8'));
      return templates.compile('statuspage', file);
    };
    this.layout = t('layout.html.hbs');
    this.index = t('index.html.hbs');
    this.entry = t('entry.html.hbs');
    this.maintenance = t('maintenance.html.hbs');
    this.incident = t('incident.html.hbs');
    this.history = t('history.html.hbs');
    this.subscribe = t('subscribe.html.hbs');
    this.notFound = t('404.html.hbs');
    this.uptime = t('uptime.html.hbs');
    this.embed = t('embed.html.hbs');
    this.css = stylesheet(historyDays, sources.join('\0'), brand.css);
    const embedCss = `${EMBED_CSS}${brand.css}\n`;
    this.embedCss = {
      path: `assets/embed.${createHash('sha256').update(embedCss).digest('hex').slice(0, 10)}.css`,
      css: embedCss,
    };
  }

  /** `root` null: no status page to link to (Herald's answer pages without one): no links to its pages. */
  private page(
    site: PageSite,
    root: string | null,
    title: string,
    description: string,
    body: string,
    script?: string,
    assetRoot = root ?? '',
  ) {
    return this.layout({
      ...withUtc(site, 'updatedAt', 'publishedAt'),
      brand: statusTitle(site.siteName),
      root: root ?? '',
      linked: root !== null,
      // Nothing to say in it (an answer page without a status page): no footer, not an empty band.
      footer: root !== null || Boolean(site.updatedAt || site.publishedAt),
      assetRoot,
      title,
      description,
      body,
      stylesheet: this.css.path,
      script,
      logo: this.brand.logo?.path,
      favicon: this.brand.favicon.path,
      localTime: localTimeScript.path,
    });
  }

  /** One incident as it shows on the index (also the channel's preview). */
  renderEntry(incident: EntryInput, root = ''): string {
    const latest = incident.updates[0];
    return this.entry({ ...withUtc(incident, 'startedAt'), root, latest: latest && withUtc(latest, 'createdAt') });
  }

  renderIndex(site: PageSite, input: IndexInput): string {
    const body = this.index({
      ...site,
      status: input.status,
      active: input.active.map((i) => ({ html: this.renderEntry(i) })),
      maintenance: {
        active: input.maintenance.active.map((m) => ({ html: this.renderMaintenance(m) })),
        upcoming: input.maintenance.upcoming.map((m) => ({ html: this.renderMaintenance(m) })),
      },
      groups: input.groups.map((g) => {
        const troubled = g.components.some((c) => c.status !== 'operational');
        const rows = g.components.map((c) => input.uptime.get(c.id)).filter((r): r is UptimeRow => r !== undefined);
        return {
          ...g,
          open: troubled,
          uptime: g.name ? this.renderUptime(site, groupUptime(rows), new Map()) : undefined,
          components: g.components.map((c) => ({
            ...c,
            uptime: this.renderUptime(site, input.uptime.get(c.id), input.dayLinks.get(c.id) ?? new Map()),
          })),
        };
      }),
      external: input.external,
      brand: statusTitle(site.siteName),
      past: pastDays(input.past, input.today, PAST_DAYS).map((d) => ({
        ...d,
        incidents: d.incidents.map((i) => {
          const latest = i.updates[0];
          return { ...i, latest: latest && withUtc(latest, 'createdAt') };
        }),
      })),
    });
    return this.page(
      site,
      '',
      statusTitle(site.siteName),
      `${input.status.description}: current status of ${site.siteName}`,
      body,
    );
  }

  /**
   * embed.html, the widget other sites frame: the overall status, then what is going on now (open incidents,
   * maintenance in progress, then the next scheduled), each linking to the full page in the top window.
   */
  renderEmbed(site: PageSite, input: Pick<IndexInput, 'status' | 'active' | 'maintenance'>): string {
    const items = [
      ...input.active.map((i) => ({
        title: i.title,
        href: `incidents/${i.id}.html`,
        label: INCIDENT_STATUS_LABEL[i.status],
      })),
      ...input.maintenance.active.map((m) => ({
        title: m.title,
        href: `index.html#maintenance-${m.id}`,
        label: 'Maintenance in progress',
      })),
      ...input.maintenance.upcoming.map((m) => ({
        title: m.title,
        href: `index.html#maintenance-${m.id}`,
        label: `Maintenance ${shortUtc(m.scheduledFor)}`,
      })),
    ];
    return this.embed({
      updatedAt: site.updatedAt,
      updatedAtShort: shortUtc(new Date(site.updatedAt).toISOString()),
      brand: statusTitle(site.siteName),
      stylesheet: this.embedCss.path,
      status: input.status,
      items: items.slice(0, EMBED_ITEMS),
      more: Math.max(0, items.length - EMBED_ITEMS),
    });
  }

  private renderUptime(site: PageSite, row: UptimeRow | undefined, links: Map<string, string>): string {
    const shortDays = site.historyDays > PHONE_DAYS ? PHONE_DAYS : undefined;
    return this.uptime({
      root: '',
      historyDays: site.historyDays,
      shortDays,
      ...uptimeView(row, links, site.historyDays),
    });
  }

  private renderMaintenance(m: Maintenance): string {
    return this.maintenance({
      ...withUtc(m, 'scheduledFor', 'scheduledUntil'),
      componentNames: m.components.map((c) => c.name).join(', '),
    });
  }

  renderIncident(site: PageSite, incident: IncidentWithUpdates): string {
    return this.page(
      site,
      '../',
      `${incident.title} - ${statusTitle(site.siteName)}`,
      `Incident report: ${incident.title}`,
      this.incident({
        ...withUtc(incident, 'startedAt', 'resolvedAt'),
        // The postmortem has its own section; its timeline entry would show it twice.
        updates: incident.updates
          .filter((u) => !(u.status === 'postmortem' && u.message === incident.postmortem))
          .map((u) => withUtc(u, 'createdAt')),
      }),
    );
  }

  renderHistoryIndex(site: PageSite, months: Array<{ month: string; count: number }>): string {
    const body = this.history({
      heading: 'Incident history',
      months: months.map((m) => ({ ...m, label: monthLabel(m.month), one: m.count === 1 })),
    });
    return this.page(
      site,
      '',
      `Incident history - ${statusTitle(site.siteName)}`,
      `Incident history of ${site.siteName}`,
      body,
    );
  }

  /** history/YYYY-MM.html; `months` is newest first, for the links to the neighbouring pages. */
  renderHistoryMonth(site: PageSite, month: string, incidents: IncidentWithUpdates[], months: string[]): string {
    const at = months.indexOf(month);
    const link = (m: string | undefined) => (m ? { href: `${m}.html`, label: monthLabel(m) } : undefined);
    const body = this.history({
      heading: `Incidents in ${monthLabel(month)}`,
      days: byStartDay(incidents),
      newer: link(months[at - 1]),
      older: link(months[at + 1]),
    });
    return this.page(
      site,
      '../',
      `${monthLabel(month)} - ${statusTitle(site.siteName)} history`,
      `Incidents of ${site.siteName} in ${monthLabel(month)}`,
      body,
    );
  }

  /**
   * 404.html, for hosts that serve it for a missing page at any depth (S3 website error document, nginx error_page):
   * its links are absolute, from `base` (HERALD_PUBLIC_URL).
   */
  renderNotFound(site: PageSite, base: string): string {
    const root = `${base.replace(/\/+$/, '')}/`;
    return this.page(
      site,
      root,
      `Page not found - ${site.siteName} status`,
      `No such page on the ${site.siteName} status page`,
      this.notFound({ root, siteName: site.siteName }),
    );
  }

  /**
   * The sign-up form, posting to Herald's own address (`appUrl`), offering the configured kinds only, and the ways
   * to follow without signing up. Herald shows the same form again, with the reader's entries and the problem,
   * when a sign-up cannot be taken (`form.values`, `form.problem`, `at`: its links to the page and its own assets).
   */
  renderSubscribe(site: PageSite, components: Component[], form: SubscribeForm, at?: AnswerPlace): string {
    const values = form.values ?? {};
    const ticked = new Set(values.components ?? []);
    const wholeGroups = new Set(values.groups ?? []);
    const groups = new Map<string, Component[]>();
    for (const c of components) groups.set(c.group ?? '', [...(groups.get(c.group ?? '') ?? []), c]);
    const named = [...groups].filter(([name]) => name !== '');
    const kinds = new Set(form.kinds);
    const problem = form.problem;
    const invalid = (field: string) => (problem?.field === field ? 'true' : undefined);
    const linked = at?.root !== null;
    const body = this.subscribe({
      root: at?.root ?? '',
      linked,
      followable: linked || (form.follow ?? []).length > 0,
      appUrl: form.appUrl.replace(/\/+$/, ''),
      follow: form.follow ?? [],
      offered: kinds.size > 0,
      email: kinds.has('email') && { value: values.email, invalid: invalid('email') },
      sms: kinds.has('sms') && { value: values.phone, invalid: invalid('phone'), first: !kinds.has('email') },
      webhook: kinds.has('webhook') && {
        value: values.webhookUrl,
        invalid: invalid('webhookUrl'),
        open: Boolean(values.webhookUrl) || kinds.size === 1,
        first: kinds.size === 1,
      },
      problem: problem?.message,
      groups: named.map(([name, list]) => ({
        name,
        whole: wholeGroups.has(name),
        components: list.map((c) => ({ id: c.id, name: c.name, checked: ticked.has(c.id) })),
      })),
      others: (groups.get('') ?? []).map((c) => ({ id: c.id, name: c.name, checked: ticked.has(c.id) })),
      othersLegend: named.length > 0 ? 'Other components' : 'Components',
      anyComponents: components.length > 0,
    });
    return this.page(
      site,
      at ? at.root : '',
      `${problem ? 'Not subscribed' : 'Subscribe'} - ${statusTitle(site.siteName)}`,
      `Subscribe to ${statusTitle(site.siteName)} updates`,
      body,
      subscribeScript.path,
      at?.assetRoot,
    );
  }

  /** One of Herald's own answer pages (signed up, confirmed, unsubscribed, a link not valid), in the page's look. */
  renderAnswer(site: PageSite, at: AnswerPlace, title: string, bodyHtml: string): string {
    return this.page(
      site,
      at.root,
      `${title} - ${statusTitle(site.siteName)}`,
      `${title} - ${statusTitle(site.siteName)}`,
      bodyHtml,
      undefined,
      at.assetRoot,
    );
  }

  /** The files the pages load (stylesheet, scripts, brand images): Herald serves them beside its answer pages. */
  assets(): Array<{ path: string; type: string; content: string | Uint8Array }> {
    const files: Array<{ path: string; type: string; content: string | Uint8Array }> = [
      { path: this.css.path, type: 'text/css; charset=utf-8', content: this.css.css },
      { path: localTimeScript.path, type: 'text/javascript; charset=utf-8', content: localTimeScript.js },
      { path: subscribeScript.path, type: 'text/javascript; charset=utf-8', content: subscribeScript.js },
    ];
    for (const file of [this.brand.logo, this.brand.favicon]) if (file) files.push(file);
    return files;
  }
}

/** What subscribe.html offers, and what a reader entered when Herald shows the form again. */
export interface SubscribeForm {
  appUrl: string;
  follow?: FollowLink[];
  /** The kinds of subscription offered (the configured audience channels); none: the page says so. */
  kinds: ReadonlyArray<SubscriberKind>;
  values?: { email?: string; phone?: string; webhookUrl?: string; components?: string[]; groups?: string[] };
  /** Why the sign-up was not taken, and the field it is about (a form field's name). */
  problem?: { field: string; message: string };
}

/** Where an answer page is served from: `root` links to the status page, `assetRoot` to the files it loads. */
export interface AnswerPlace {
  /** The status page's address (ending in /), or null when there is none: the pages then link to none of its pages. */
  root: string | null;
  assetRoot: string;
}

/** A row of day segments (oldest first) with its uptime; only days with something to tell carry a title. */
function uptimeView(row: UptimeRow | undefined, links: Map<string, string>, days: number) {
  if (!row) return { days: [], percent: formatUptime(null), summary: `No data for the last ${days} days.` };
  const affected = row.days.filter((d) => d.level !== 'n' && d.level !== 0).length;
  const unknown = row.days.filter((d) => d.level === 'n').length;
  const percent = formatUptime(row.uptime);
  return {
    days: row.days.map((d) => ({
      level: d.level,
      title: d.level === 0 && !links.has(d.day) ? undefined : dayLabel(d),
      href: links.get(d.day),
    })),
    percent,
    summary:
      `${percent} uptime over the last ${days} days` +
      (affected > 0 ? `; affected on ${affected} of them` : '; no incidents') +
      (unknown > 0 ? `; no data for the first ${unknown}.` : '.'),
  };
}

const MONTH_LABEL = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
export const monthLabel = (month: string) => MONTH_LABEL.format(new Date(`${month}-01T00:00:00Z`));

const DAY_LABEL = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
export const longDayLabel = (day: string) => DAY_LABEL.format(new Date(`${day}T00:00:00Z`)).replace(/,/g, '');

/** Incidents by the UTC day they started, newest day first; each day's section is anchored `d<YYYY-MM-DD>`. */
function byStartDay(incidents: IncidentWithUpdates[]) {
  const days = new Map<string, IncidentWithUpdates[]>();
  for (const i of incidents) {
    const day = i.startedAt.slice(0, 10);
    const list = days.get(day);
    if (list) list.push(i);
    else days.set(day, [i]);
  }
  return [...days]
    .sort(([a], [b]) => (a < b ? 1 : -1))
    .map(([day, list]) => ({ day, label: longDayLabel(day), incidents: list.map((i) => withUtc(i, 'startedAt')) }));
}

/** The `count` days up to `today`, newest first, each with the incidents that started on it (maybe none). */
function pastDays(incidents: IncidentWithUpdates[], today: string, count: number) {
  const start = Date.parse(`${today}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(start - i * 86_400_000).toISOString().slice(0, 10);
    return { day, label: longDayLabel(day), incidents: incidents.filter((x) => x.startedAt.startsWith(day)) };
  });
}

// What the console shows of a status page delivery: the incident's card and its page, rendered by the site's own
// templates and stylesheet, as whole documents for a sandboxed frame (the stylesheet inline: the frame fetches nothing).
import type { IncidentWithUpdates } from '../../domain/types.js';
import {
  COMPONENT_STATUS_LABEL,
  IMPACT_LABEL,
  INCIDENT_STATUS_LABEL,
  formatUtc,
  statusTitle,
} from '../../render/labels.js';
import type { PageRenderer } from '../../statuspage/pages.js';
import type { PreviewPart, UpdateContext } from '../channel.js';

/**
 * The incident as of this update, shaped as the site's pages read it. It holds this update only: the context
 * carries no earlier ones (the published page lists them below it).
 */
export function incidentAsOf(ctx: UpdateContext): IncidentWithUpdates {
  const { incident, update } = ctx;
  return {
    id: incident.id,
    title: incident.title,
    status: incident.status,
    impact: incident.impact,
    startedAt: incident.startedAt,
    resolvedAt: incident.resolvedAt,
    postmortem: null,
    postmortemPublishedAt: null,
    createdAt: incident.startedAt,
    updatedAt: update.createdAt,
    components: incident.components,
    updates: [
      {
        id: update.id,
        incidentId: incident.id,
        status: update.status,
        message: update.message,
        components: incident.components,
        channels: [],
        createdAt: update.createdAt,
      },
    ],
  };
}

export function statusPagePreview(
  renderer: PageRenderer,
  site: { siteName: string; historyDays: number },
  incident: IncidentWithUpdates,
  isFirst: boolean,
): PreviewPart[] {
  const page = renderer.renderIncident({ ...site, updatedAt: incident.updatedAt }, incident);
  const card = renderer.renderEntry(incident);
  const style = `<style>${renderer.css.css}</style>`;
  return [
    {
      label: 'Card on the status page',
      html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${style}</head><body><main class="wrap">${card}</main></body></html>`,
      height: (width) => cardHeight(incident, width),
    },
    {
      label: isFirst ? 'Incident page' : 'Incident page (the earlier updates follow this one)',
      html: inlineStylesheet(page, renderer.css.path, style),
      height: (width) => incidentPageHeight(incident, width, { ...site, logo: Boolean(renderer.brand.logo) }),
    },
  ];
}

// The card's geometry in the site's stylesheet (style.css), in CSS px: 16px/1.5 text, .meta at 14px, .wrap's 1rem
// padding (56rem at most), the card's border, padding and margin. Glyph widths are the wide end of the system
// sans-serif fonts (DejaVu Sans) with a word's slack per line, so an estimate errs tall rather than cuts a line.
const TEXT = { size: 16, line: 24, glyph: 0.62 };
const BOLD = { size: 16, line: 24, glyph: 0.68 };
const META = { size: 14, line: 21, glyph: 0.62 };
const CARD_CHROME = 2 * 16 + 2 * 8 + 2 * 1 + 2 * 12; // .wrap padding, card margin, border, padding (top and bottom)
const P_GAP = 4; // .card p margin (.25rem), collapsed between siblings

// `capitals`: they count half as wide again as the average glyph (the page's title in capitals must not be cut).
const ems = (text: string, capitals: boolean) =>
  text.length + (capitals ? 0.5 * (text.match(/[A-Z]/g)?.length ?? 0) : 0);
const lines = (text: string, width: number, font: { size: number; glyph: number }, capitals = false) =>
  Math.max(1, Math.ceil((ems(text, capitals) * font.size * font.glyph) / Math.max(width, 1)));

/**
 * The message's blocks as the card (`gap` 4: `.card p`) or the page (`gap` 16: a paragraph's and a list's own
 * margin) shows them (Markdown read coarsely: emphasis and link targets take no room).
 */
function messageHeight(markdown: string, width: number, gap = P_GAP): number {
  const plain = (line: string) =>
    line
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[*_`~]/g, '')
      .trim();
  let height = 0;
  let inCode = false;
  let inList = false;
  for (const raw of markdown.split('\n')) {
    if (/^\s*```/.test(raw)) {
      inCode = !inCode;
      height += inCode ? 2 * gap : 16; // a code block's margins; its scroll bar
      continue;
    }
    if (inCode) {
      height += TEXT.line; // pre does not wrap: it scrolls
      continue;
    }
    if (raw.trim() === '') continue;
    const item = /^\s*([-*+]|\d+[.)])\s+/.exec(raw);
    const heading = /^\s*#{1,6}\s+/.exec(raw);
    const text = plain(raw.slice((item ?? heading)?.[0].length ?? 0));
    if (heading) height += 16 + 4 + lines(text, width, BOLD) * BOLD.line;
    else if (item) height += (inList || gap === P_GAP ? 0 : gap) + 2.4 * 2 + lines(text, width - 24, TEXT) * TEXT.line;
    else height += gap + lines(text, width, TEXT) * TEXT.line;
    inList = Boolean(item);
  }
  return height;
}

/**
 * The card's height in a frame `frameWidth` CSS px wide, estimated from its text: a sandboxed frame without scripts
 * cannot size itself, so the console sizes it from this.
 */
export function cardHeight(incident: IncidentWithUpdates, frameWidth: number): number {
  const inner = Math.min(frameWidth, 56 * 16) - 2 * 16 - 2 * 1 - 2 * 16; // .wrap padding, card border and padding
  const latest = incident.updates[0];
  // The lines entry.html.hbs writes.
  const meta = `${INCIDENT_STATUS_LABEL[incident.status]} · ${IMPACT_LABEL[incident.impact]} impact · started ${formatUtc(incident.startedAt)}`;
  let height = CARD_CHROME + lines(incident.title, inner, BOLD) * BOLD.line;
  height += P_GAP + lines(meta, inner, META) * META.line;
  if (latest) {
    height += messageHeight(latest.message, inner);
    height += P_GAP + lines(`Latest update ${formatUtc(latest.createdAt)}`, inner, META) * META.line;
  }
  return Math.ceil(height + TEXT.line / 2); // half a line of slack below the card
}

// The page's own geometry (style.css, layout.html.hbs, incident.html.hbs): h1 24px/36, h2 19.2px/28.8, .meta and the
// footer 14px/21, default paragraph margins of 1em, collapsed between siblings as CSS collapses them.
const H1 = { size: 24, line: 36, glyph: 0.68 };
const H2 = { size: 19.2, line: 28.8, glyph: 0.68 };
const BRAND = { size: 20, line: 30, glyph: 0.68 };
const NAV = 'History Subscribe Feed'; // layout.html.hbs's links
const NAV_WIDTH = 216; // the three links and their 1rem gaps as drawn in DejaVu Sans (206 px), and some room
const FOOTER_LINKS = 'Machine-readable: api/v2/summary.json, RSS, Atom, maintenance calendar.';

/**
 * The incident page's height in a frame `frameWidth` CSS px wide, estimated from its text as the card's is: the
 * header (the brand and the links on one row, or two), the incident's title, line, components and this update, the
 * footer. The frame shows this update only (the page's earlier updates are not in the preview).
 */
export function incidentPageHeight(
  incident: IncidentWithUpdates,
  frameWidth: number,
  site: { siteName: string; logo?: boolean },
): number {
  const pad = frameWidth >= 40 * 16 ? 24 : 16; // .wrap padding: 1rem, 1.5rem from 40rem
  const inner = Math.min(frameWidth, 56 * 16) - 2 * pad;
  // Collapsing margins: a block adds the larger of its top margin and the one pending above it.
  let height = 0;
  let pending = 0;
  const block = (top: number, content: number, bottom: number) => {
    height += Math.max(pending, top) + content;
    pending = bottom;
  };
  // The header: the brand (a logo of up to 4:1 beside it) and the links, on one row when both fit, else two.
  const brandWidth = statusTitle(site.siteName).length * BRAND.size * BRAND.glyph + (site.logo ? 8 + 128 : 0);
  const brandRow = site.logo ? 32 : BRAND.line;
  const header =
    brandWidth + 16 + NAV_WIDTH <= inner
      ? brandRow
      : lines('x'.repeat(Math.ceil(brandWidth / (BRAND.size * BRAND.glyph))), inner, BRAND) * brandRow +
        8 +
        lines(NAV, inner - 32, TEXT) * TEXT.line;
  height += 1 + 2 * pad + header;
  // The main column: its padding, then incident.html.hbs's blocks.
  height += pad;
  block(16, TEXT.line, 16); // "Current status"
  block(8, lines(incident.title, inner, H1, true) * H1.line, 8);
  const meta = `${INCIDENT_STATUS_LABEL[incident.status]} · ${IMPACT_LABEL[incident.impact]} impact · started ${formatUtc(incident.startedAt)}${incident.resolvedAt ? ` · resolved ${formatUtc(incident.resolvedAt)}` : ''}`;
  block(14, lines(meta, inner, META) * META.line, 14);
  if (incident.components.length > 0) {
    block(24, lines('Affected components', inner, H2) * H2.line, 8);
    const items = incident.components.reduce(
      (sum, c) => sum + lines(`${c.name}: ${COMPONENT_STATUS_LABEL[c.status]}`, inner - 40, TEXT) * TEXT.line,
      0,
    );
    block(16, items, 16);
  }
  block(24, H2.line, 8); // "Updates"
  const li = inner - 3 - 16; // the timeline's border and padding
  for (const update of incident.updates) {
    block(0, 4 + TEXT.line + messageHeight(update.message, li, 16), 0);
    height += 14 + lines(formatUtc(update.createdAt), li, META) * META.line + 14 + 12;
  }
  height += pending + pad;
  // The footer: its margin, border and padding, "Updated …" and the machine-readable links.
  const updated = `Updated ${formatUtc(incident.updatedAt)}.`;
  height +=
    32 + 1 + 2 * pad + 14 + lines(updated, inner, META) * META.line + 14 + lines(FOOTER_LINKS, inner, META) * META.line;
  height += 14;
  return Math.ceil(height + TEXT.line / 2); // half a line of slack below the footer
}

/** The page with its stylesheet link replaced by the stylesheet itself. */
function inlineStylesheet(page: string, path: string, style: string): string {
  const link = new RegExp(`<link rel="stylesheet" href="[^"]*${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">`);
  const linked = link.test(page);
  return linked ? page.replace(link, style) : page.replace('</head>', `${style}</head>`);
}

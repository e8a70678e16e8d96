// What the console shows of a status page delivery: the incident's card and its page, rendered by the site's own
// templates and stylesheet, as whole documents for a sandboxed frame (the stylesheet inline: the frame fetches nothing).
import type { IncidentWithUpdates } from '../../domain/types.js';
import { IMPACT_LABEL, INCIDENT_STATUS_LABEL, formatUtc } from '../../render/labels.js';
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
      height: 640,
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

const lines = (text: string, width: number, font: { size: number; glyph: number }) =>
  Math.max(1, Math.ceil((text.length * font.size * font.glyph) / Math.max(width, 1)));

/** The message's blocks as the card shows them (Markdown read coarsely: emphasis and link targets take no room). */
function messageHeight(markdown: string, width: number): number {
  const plain = (line: string) =>
    line
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[*_`~]/g, '')
      .trim();
  let height = 0;
  let inCode = false;
  for (const raw of markdown.split('\n')) {
    if (/^\s*```/.test(raw)) {
      inCode = !inCode;
      height += inCode ? 2 * P_GAP : 16; // a code block's margins; its scroll bar
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
    else if (item) height += 2.4 * 2 + lines(text, width - 24, TEXT) * TEXT.line;
    else height += P_GAP + lines(text, width, TEXT) * TEXT.line;
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

/** The page with its stylesheet link replaced by the stylesheet itself. */
function inlineStylesheet(page: string, path: string, style: string): string {
  const link = new RegExp(`<link rel="stylesheet" href="[^"]*${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">`);
  const linked = link.test(page);
  return linked ? page.replace(link, style) : page.replace('</head>', `${style}</head>`);
}

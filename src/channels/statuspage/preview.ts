// What the console shows of a status page delivery: the incident's card and its page, rendered by the site's own
// templates and stylesheet, as whole documents for a sandboxed frame (the stylesheet inline: the frame fetches nothing).
import type { IncidentWithUpdates } from '../../domain/types.js';
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
      height: 280,
    },
    {
      label: isFirst ? 'Incident page' : 'Incident page (the earlier updates follow this one)',
      html: inlineStylesheet(page, renderer.css.path, style),
      height: 640,
    },
  ];
}

/** The page with its stylesheet link replaced by the stylesheet itself. */
function inlineStylesheet(page: string, path: string, style: string): string {
  const link = new RegExp(`<link rel="stylesheet" href="[^"]*${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">`);
  const linked = link.test(page);
  return linked ? page.replace(link, style) : page.replace('</head>', `${style}</head>`);
}

import { Feed } from 'feed';
import type { IncidentWithUpdates } from '../domain/types.js';
import { markdownToSafeHtml } from '../render/markdown.js';
import { INCIDENT_STATUS_LABEL } from '../render/labels.js';

export interface FeedInput {
  siteName: string;
  publicUrl: string;
  /** Newest first. */
  incidents: IncidentWithUpdates[];
  incidentUrl: (id: string) => string;
  updatedAt: Date;
}

/** history.rss and history.atom: one item per incident update, newest first (as Statuspage's feeds). */
export function historyFeeds(input: FeedInput): { rss: string; atom: string } {
  const base = input.publicUrl.replace(/\/+$/, '');
  const feed = new Feed({
    id: `${base}/`,
    title: `${input.siteName} status - incident history`,
    link: `${base}/`,
    description: `Incidents and their updates from ${input.siteName}`,
    language: 'en',
    updated: input.updatedAt,
    generator: 'Herald',
    copyright: input.siteName,
    feedLinks: { rss: `${base}/history.rss`, atom: `${base}/history.atom` },
  });
  const items = input.incidents
    .flatMap((incident) => incident.updates.map((update) => ({ incident, update })))
    .sort((a, b) => (a.update.createdAt < b.update.createdAt ? 1 : -1))
    .slice(0, 100);
  for (const { incident, update } of items) {
    const link = `${input.incidentUrl(incident.id)}#update-${update.id}`;
    feed.addItem({
      title: `${incident.title} - ${INCIDENT_STATUS_LABEL[update.status]}`,
      id: link,
      guid: link,
      link,
      date: new Date(update.createdAt),
      published: new Date(update.createdAt),
      // Sanitised HTML; the feed library wraps it in CDATA.
      content: markdownToSafeHtml(update.message),
    });
  }
  return { rss: feed.rss2(), atom: feed.atom1() };
}

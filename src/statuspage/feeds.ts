import type { IncidentWithUpdates } from '../domain/types.js';
import { INCIDENT_STATUS_LABEL, statusTitle } from '../render/labels.js';
import { markdownToSafeHtml } from '../render/markdown.js';
import { element, xmlDocument } from './xml.js';

export interface FeedInput {
  siteName: string;
  publicUrl: string;
  /** Newest first. */
  incidents: IncidentWithUpdates[];
  incidentUrl: (id: string) => string;
  updatedAt: Date;
}

const ATOM_NS = 'http://www.w3.org/2005/Atom';
const MAX_ITEMS = 100;

/**
 * history.rss and history.atom: one item per incident update, newest first (as Statuspage's feeds).
 *
 * Every field goes through an XML serializer as text: `<`, `&`, `]]>` and the rest are escaped, never wrapped in
 * CDATA (which a title holding `]]>` breaks out of). Titles are text (Atom `type="text"`); the update's sanitised
 * HTML is carried escaped (`type="html"`, RSS `description`), so nothing a commander types becomes an element.
 */
export function historyFeeds(input: FeedInput): { rss: string; atom: string } {
  const base = input.publicUrl.replace(/\/+$/, '');
  const items = input.incidents
    .flatMap((incident) => incident.updates.map((update) => ({ incident, update })))
    .sort((a, b) => (a.update.createdAt < b.update.createdAt ? 1 : -1))
    .slice(0, MAX_ITEMS)
    .map(({ incident, update }) => ({
      title: `${isolateBidi(incident.title)} - ${INCIDENT_STATUS_LABEL[update.status]}`,
      link: `${input.incidentUrl(incident.id)}#update-${update.id}`,
      date: new Date(update.createdAt),
      html: markdownToSafeHtml(update.message),
    }));
  const site = {
    base,
    title: `${isolateBidi(statusTitle(input.siteName))} - incident history`,
    description: `Incidents and their updates from ${isolateBidi(input.siteName)}`,
    updatedAt: input.updatedAt,
  };
  return { rss: rss(site, items), atom: atom(site, items) };
}

interface FeedSite {
  base: string;
  title: string;
  description: string;
  updatedAt: Date;
}

interface FeedItem {
  title: string;
  link: string;
  date: Date;
  html: string;
}

function rss(site: FeedSite, items: FeedItem[]): string {
  const channel = element('channel', [
    element('title', site.title),
    element('link', `${site.base}/`),
    element('description', site.description),
    element('language', 'en'),
    element('lastBuildDate', site.updatedAt.toUTCString()),
    element('generator', 'Herald'),
    element('atom:link', undefined, { href: `${site.base}/history.rss`, rel: 'self', type: 'application/rss+xml' }),
    ...items.map((item) =>
      element('item', [
        element('title', item.title),
        element('link', item.link),
        element('guid', item.link, { isPermaLink: 'false' }),
        element('pubDate', item.date.toUTCString()),
        element('description', item.html),
      ]),
    ),
  ]);
  return xmlDocument(element('rss', [channel], { version: '2.0', 'xmlns:atom': ATOM_NS }));
}

function atom(site: FeedSite, items: FeedItem[]): string {
  return xmlDocument(
    element(
      'feed',
      [
        element('id', `${site.base}/`),
        element('title', site.title, { type: 'text' }),
        element('subtitle', site.description, { type: 'text' }),
        element('updated', site.updatedAt.toISOString()),
        element('generator', 'Herald'),
        element('link', undefined, { rel: 'alternate', href: `${site.base}/` }),
        element('link', undefined, { rel: 'self', href: `${site.base}/history.atom` }),
        ...items.map((item) =>
          element('entry', [
            element('title', item.title, { type: 'text' }),
            element('id', item.link),
            element('link', undefined, { href: item.link }),
            element('published', item.date.toISOString()),
            element('updated', item.date.toISOString()),
            element('content', item.html, { type: 'html' }),
          ]),
        ),
      ],
      { xmlns: ATOM_NS },
    ),
  );
}

const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * A name holding bidirectional controls (an RTL override, U+202E) is set in an isolate (FSI … PDI): whatever the
 * controls do stays inside it, and cannot turn around the status label or text that follows it in a reader.
 */
function isolateBidi(value: string): string {
  return BIDI_CONTROL.test(value) ? `\u2068${value}\u2069` : value;
}

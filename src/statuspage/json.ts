// Atlassian Statuspage public API (v2) documents: the same field names and value sets, so existing
// consumers (dashboards, monitors, status aggregators) read Herald unchanged.
import { createHash } from 'node:crypto';
import type { Component, IncidentUpdate, IncidentWithUpdates, Maintenance } from '../domain/types.js';
import { activeMaintenances, groupComponents, overallStatus, upcomingMaintenances, type Indicator } from './model.js';

export interface PageInfo {
  id: string;
  name: string;
  url: string;
  time_zone: string;
  updated_at: string;
}

export interface SpComponent {
  id: string;
  name: string;
  status: string;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
  /** Only on groups: ids of their components. */
  components?: string[];
}

export interface SpIncidentUpdate {
  id: string;
  status: string;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: Array<{ code: string; name: string; old_status: string; new_status: string }> | null;
  deliver_notifications: boolean;
  custom_tweet: string | null;
  tweet_id: string | null;
}

export interface SpIncident {
  id: string;
  name: string;
  status: string;
  created_at: string;
  updated_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  impact: string;
  shortlink: string;
  started_at: string;
  page_id: string;
  incident_updates: SpIncidentUpdate[];
  components: SpComponent[];
}

export interface SpMaintenance extends SpIncident {
  scheduled_for: string;
  scheduled_until: string;
}

/** Stable 12-character id for things Herald has no id for (the page, component groups). */
export const shortId = (seed: string) =>
  createHash('sha256').update(seed).digest('base64url').replace(/[-_]/g, '').slice(0, 12).toLowerCase();

export interface JsonInput {
  page: PageInfo;
  components: Component[];
  /** Newest first; the caller decides how many (Statuspage lists the 50 most recent). */
  incidents: IncidentWithUpdates[];
  maintenances: Maintenance[];
  incidentUrl: (id: string) => string;
  maintenanceUrl: (id: string) => string;
}

/** Every api/v2 document, by path under the site root. */
export function statuspageDocuments(input: JsonInput): Map<string, unknown> {
  const { page } = input;
  const components = toComponents(input.components, page.id);
  const byId = new Map(components.map((c) => [c.id, c]));
  const incidents = input.incidents.map((i) => toIncident(i, page.id, byId, input.incidentUrl));
  const unresolved = incidents.filter((i) => ['investigating', 'identified', 'monitoring'].includes(i.status));
  const maintenances = input.maintenances
    .slice()
    .sort((a, b) => (a.scheduledFor < b.scheduledFor ? 1 : -1))
    .map((m) => toMaintenance(m, page.id, byId, input.maintenanceUrl));
  const active = new Set(activeMaintenances(input.maintenances).map((m) => m.id));
  const upcoming = new Set(upcomingMaintenances(input.maintenances).map((m) => m.id));
  const status: { indicator: Indicator; description: string } = overallStatus(
    input.components,
    input.incidents,
    input.maintenances,
  );
  const activeAndUpcoming = maintenances.filter((m) => active.has(m.id) || upcoming.has(m.id));
  return new Map<string, unknown>([
    [
      'api/v2/summary.json',
      { page, components, incidents: unresolved, scheduled_maintenances: activeAndUpcoming, status },
    ],
    ['api/v2/status.json', { page, status }],
    ['api/v2/components.json', { page, components }],
    ['api/v2/incidents.json', { page, incidents }],
    ['api/v2/incidents/unresolved.json', { page, incidents: unresolved }],
    ['api/v2/scheduled-maintenances.json', { page, scheduled_maintenances: maintenances }],
    [
      'api/v2/scheduled-maintenances/upcoming.json',
      { page, scheduled_maintenances: maintenances.filter((m) => upcoming.has(m.id)) },
    ],
    [
      'api/v2/scheduled-maintenances/active.json',
      { page, scheduled_maintenances: maintenances.filter((m) => active.has(m.id)) },
    ],
  ]);
}

/** Groups become components with `group: true` and the ids of their members, as on Statuspage. */
export function toComponents(components: Component[], pageId: string): SpComponent[] {
  const groupId = (name: string) => shortId(`group:${name}`);
  const out: SpComponent[] = [];
  for (const group of groupComponents(components, groupId)) {
    if (group.name) {
      const first = group.components[0]!;
      out.push({
        id: group.id,
        name: group.name,
        status: group.status,
        created_at: group.components.reduce((min, c) => (c.createdAt < min ? c.createdAt : min), first.createdAt),
        updated_at: group.components.reduce((max, c) => (c.updatedAt > max ? c.updatedAt : max), first.updatedAt),
        position: group.position,
        description: null,
        showcase: false,
        start_date: null,
        group_id: null,
        page_id: pageId,
        group: true,
        only_show_if_degraded: false,
        components: group.components.map((c) => c.id),
      });
    }
    for (const c of group.components) {
      out.push({
        id: c.id,
        name: c.name,
        status: c.status,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
        position: c.position,
        description: c.description,
        showcase: true,
        start_date: c.createdAt.slice(0, 10),
        group_id: c.group ? groupId(c.group) : null,
        page_id: pageId,
        group: false,
        only_show_if_degraded: false,
      });
    }
  }
  return out;
}

function toIncident(
  i: IncidentWithUpdates,
  pageId: string,
  byId: Map<string, SpComponent>,
  url: (id: string) => string,
): SpIncident {
  const chronological = i.updates.slice().reverse();
  const monitoring = chronological.find((u) => u.status === 'monitoring');
  return {
    id: i.id,
    name: i.title,
    status: i.status,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    monitoring_at: monitoring?.createdAt ?? null,
    resolved_at: i.resolvedAt,
    impact: i.impact,
    shortlink: url(i.id),
    started_at: i.startedAt,
    page_id: pageId,
    incident_updates: i.updates.map((u) => toUpdate(u, previousOf(chronological, u))),
    components: i.components.map((c) => byId.get(c.id)).filter((c): c is SpComponent => c !== undefined),
  };
}

const previousOf = (chronological: IncidentUpdate[], u: IncidentUpdate) => chronological[chronological.indexOf(u) - 1];

function toUpdate(u: IncidentUpdate, previous: IncidentUpdate | undefined): SpIncidentUpdate {
  const before = new Map((previous?.components ?? []).map((c) => [c.id, c.status]));
  const affected = u.components.map((c) => ({
    code: c.id,
    name: c.name,
    old_status: before.get(c.id) ?? 'operational',
    new_status: c.status,
  }));
  return {
    id: u.id,
    status: u.status,
    body: u.message,
    incident_id: u.incidentId,
    created_at: u.createdAt,
    updated_at: u.createdAt,
    display_at: u.createdAt,
    affected_components: affected.length > 0 ? affected : null,
    deliver_notifications: u.channels.length > 0,
    custom_tweet: null,
    tweet_id: null,
  };
}

function toMaintenance(
  m: Maintenance,
  pageId: string,
  byId: Map<string, SpComponent>,
  url: (id: string) => string,
): SpMaintenance {
  const started = m.status === 'scheduled' ? null : m.scheduledFor;
  return {
    id: m.id,
    name: m.title,
    status: m.status,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    monitoring_at: null,
    resolved_at: m.status === 'completed' ? m.scheduledUntil : null,
    impact: 'maintenance',
    shortlink: url(m.id),
    started_at: started ?? m.scheduledFor,
    page_id: pageId,
    incident_updates: [
      {
        id: shortId(`maintenance-update:${m.id}`),
        status: m.status,
        body: m.message,
        incident_id: m.id,
        created_at: m.createdAt,
        updated_at: m.updatedAt,
        display_at: m.createdAt,
        affected_components: m.components.map((c) => ({
          code: c.id,
          name: c.name,
          old_status: 'operational',
          new_status: 'under_maintenance',
        })),
        deliver_notifications: false,
        custom_tweet: null,
        tweet_id: null,
      },
    ],
    components: m.components.map((c) => byId.get(c.id)).filter((c): c is SpComponent => c !== undefined),
    scheduled_for: m.scheduledFor,
    scheduled_until: m.scheduledUntil,
  };
}

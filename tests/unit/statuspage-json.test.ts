import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import Parser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { acmeSite, seedComponents, seedIncident, seedMaintenance } from './statuspage-seed.js';

// Field lists of Atlassian Statuspage's public API (v2), as its documents carry them.
const PAGE = ['id', 'name', 'url', 'time_zone', 'updated_at'];
const STATUS = ['indicator', 'description'];
const COMPONENT = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'position',
  'description',
  'showcase',
  'start_date',
  'group_id',
  'page_id',
  'group',
  'only_show_if_degraded',
];
const INCIDENT = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'monitoring_at',
  'resolved_at',
  'impact',
  'shortlink',
  'started_at',
  'page_id',
  'incident_updates',
  'components',
];
const UPDATE = [
  'id',
  'status',
  'body',
  'incident_id',
  'created_at',
  'updated_at',
  'display_at',
  'affected_components',
  'deliver_notifications',
  'custom_tweet',
  'tweet_id',
];
const MAINTENANCE = [...INCIDENT, 'scheduled_for', 'scheduled_until'];
const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
];
const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const NOW = new Date('2026-05-20T12:00:00Z');
let store: Store;
let dir: string;

beforeAll(async () => {
  const root = tempDir('herald-sp-json-');
  store = await openStore(join(root, 'herald.db'));
  dir = join(root, 'site');
  const [api, web, db] = await seedComponents(store, 3, { groups: 0 });
  await store.db.updateTable('components').set({ group_name: 'Core' }).where('id', 'in', [api!.id, web!.id]).execute();
  await store.db.updateTable('components').set({ status: 'major_outage' }).where('id', '=', api!.id).execute();
  await seedIncident(store, {
    title: 'API down',
    impact: 'critical',
    startedAt: '2026-05-20T10:00:00.000Z',
    components: [{ ...api!, status: 'major_outage' }],
    messages: ['Investigating', 'Found it'],
  });
  await seedIncident(store, {
    title: 'Old blip',
    startedAt: '2026-04-01T10:00:00.000Z',
    resolvedAt: '2026-04-01T11:00:00.000Z',
    components: [{ ...web!, status: 'degraded_performance' }],
  });
  await seedMaintenance(store, {
    title: 'DB upgrade',
    message: 'Upgrading',
    status: 'scheduled',
    scheduledFor: '2026-05-25T00:00:00.000Z',
    scheduledUntil: '2026-05-25T02:00:00.000Z',
    components: [db!.id],
    at: '2026-05-19T00:00:00.000Z',
  });
  await seedMaintenance(store, {
    title: 'Network work',
    message: 'Working',
    status: 'in_progress',
    scheduledFor: '2026-05-20T11:00:00.000Z',
    scheduledUntil: '2026-05-20T13:00:00.000Z',
    components: [db!.id],
  });
  const site = acmeSite(store, dir, { now: () => NOW });
  await site.rebuild({ full: true });
});
afterAll(() => store?.close());

const read = (path: string) => JSON.parse(readFileSync(join(dir, path), 'utf8'));
const keys = (o: object) => Object.keys(o).sort();

function checkComponent(c: Record<string, unknown>) {
  expect(keys(c).filter((k) => k !== 'components')).toEqual([...COMPONENT].sort());
  expect(COMPONENT_STATUSES).toContain(c.status);
  expect(c.created_at).toMatch(ISO);
  if (c.group) expect(c.components).toEqual(expect.arrayContaining([expect.any(String)]));
  else expect(c).not.toHaveProperty('components');
}

function checkIncident(i: Record<string, any>, fields = INCIDENT, statuses = INCIDENT_STATUSES) {
  expect(keys(i)).toEqual([...fields].sort());
  expect(statuses).toContain(i.status);
  expect(['none', 'minor', 'major', 'critical', 'maintenance']).toContain(i.impact);
  expect(i.shortlink).toMatch(/^https:\/\/status\.acme\.test\//);
  for (const u of i.incident_updates) {
    expect(keys(u)).toEqual([...UPDATE].sort());
    expect(u.incident_id).toBe(i.id);
    for (const a of u.affected_components ?? []) expect(keys(a)).toEqual(['code', 'name', 'new_status', 'old_status']);
  }
  i.components.forEach(checkComponent);
}

describe('Statuspage-compatible JSON', () => {
  it('summary.json has page, status, components, unresolved incidents and active/upcoming maintenances', () => {
    const summary = read('api/v2/summary.json');
    expect(keys(summary)).toEqual(['components', 'incidents', 'page', 'scheduled_maintenances', 'status']);
    expect(keys(summary.page)).toEqual([...PAGE].sort());
    expect(summary.page).toMatchObject({ name: 'Acme', url: 'https://status.acme.test', time_zone: 'Etc/UTC' });
    expect(keys(summary.status)).toEqual([...STATUS].sort());
    expect(summary.status).toEqual({ indicator: 'critical', description: 'Major System Outage' });
    summary.components.forEach(checkComponent);
    summary.incidents.forEach((i: any) => checkIncident(i));
    expect(summary.incidents.map((i: any) => i.name)).toEqual(['API down']);
    summary.scheduled_maintenances.forEach((m: any) => checkIncident(m, MAINTENANCE, MAINTENANCE_STATUSES));
    expect(summary.scheduled_maintenances.map((m: any) => m.name).sort()).toEqual(['DB upgrade', 'Network work']);
  });

  it('components are grouped: a group component lists its members, members point back with group_id', () => {
    const { components } = read('api/v2/components.json');
    const group = components.find((c: any) => c.group);
    expect(group).toMatchObject({ name: 'Core', status: 'major_outage', group_id: null });
    const members = components.filter((c: any) => c.group_id === group.id);
    expect(members.map((c: any) => c.id).sort()).toEqual([...group.components].sort());
  });

  it('every other document has its own shape', () => {
    expect(keys(read('api/v2/status.json'))).toEqual(['page', 'status']);
    const incidents = read('api/v2/incidents.json');
    expect(keys(incidents)).toEqual(['incidents', 'page']);
    incidents.incidents.forEach((i: any) => checkIncident(i));
    expect(incidents.incidents.map((i: any) => i.name)).toEqual(['API down', 'Old blip']);
    expect(incidents.incidents[0].incident_updates.map((u: any) => u.body)).toEqual(['Found it', 'Investigating']);
    expect(read('api/v2/incidents/unresolved.json').incidents.map((i: any) => i.name)).toEqual(['API down']);
    const all = read('api/v2/scheduled-maintenances.json');
    expect(keys(all)).toEqual(['page', 'scheduled_maintenances']);
    all.scheduled_maintenances.forEach((m: any) => checkIncident(m, MAINTENANCE, MAINTENANCE_STATUSES));
    expect(read('api/v2/scheduled-maintenances/upcoming.json').scheduled_maintenances.map((m: any) => m.name)).toEqual([
      'DB upgrade',
    ]);
    expect(read('api/v2/scheduled-maintenances/active.json').scheduled_maintenances.map((m: any) => m.name)).toEqual([
      'Network work',
    ]);
  });
});

describe('feeds', () => {
  const parser = new XMLParser({ ignoreAttributes: false });

  it('history.rss is RSS 2.0 with one item per update, newest first', () => {
    const rss = parser.parse(readFileSync(join(dir, 'history.rss'), 'utf8'));
    const items = rss.rss.channel.item;
    expect(rss.rss['@_version']).toBe('2.0');
    expect(items).toHaveLength(3);
    expect(items[0].title).toBe('API down - Investigating');
    expect(items[0].link).toMatch(/^https:\/\/status\.acme\.test\/incidents\/[0-9a-z]+\.html#update-/);
    expect(new Date(items[0].pubDate).toString()).not.toBe('Invalid Date');
  });

  it('history.atom is Atom with entries linking to incident pages', () => {
    const atom = parser.parse(readFileSync(join(dir, 'history.atom'), 'utf8'));
    expect(atom.feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(atom.feed.entry).toHaveLength(3);
    expect(atom.feed.entry[2].title['#text']).toBe('Old blip - Resolved');
    expect(atom.feed.entry[2].link['@_href']).toMatch(
      /^https:\/\/status\.acme\.test\/incidents\/[0-9a-z]+\.html#update-/,
    );
  });
});

describe('feeds read by a feed reader', () => {
  // rss-parser is what many status aggregators and feed readers use: both feeds must come through it whole.
  const reader = new Parser();

  it('rss-parser reads history.rss and history.atom with titles, links and dates', async () => {
    for (const file of ['history.rss', 'history.atom']) {
      const feed = await reader.parseString(readFileSync(join(dir, file), 'utf8'));
      expect(feed.items, file).toHaveLength(3);
      expect(feed.items.map((i) => i.title).sort(), file).toEqual([
        'API down - Investigating',
        'API down - Investigating',
        'Old blip - Resolved',
      ]);
      for (const item of feed.items) {
        expect(item.link, file).toMatch(/^https:\/\/status\.acme\.test\/incidents\/[0-9a-z]+\.html#update-/);
        expect(Number.isNaN(Date.parse(item.isoDate ?? '')), file).toBe(false);
      }
    }
  });
});

describe('rebuilds under a burst of updates', () => {
  it('coalesce: requests made while one rebuild runs share the next, which covers all their incidents', async () => {
    const root = tempDir('herald-sp-burst-');
    const burstStore = await openStore(join(root, 'herald.db'));
    try {
      const [c] = await seedComponents(burstStore, 1, { groups: 0 });
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(
          await seedIncident(burstStore, {
            title: `Burst ${i}`,
            startedAt: `2026-05-20T1${i}:00:00.000Z`,
            components: [{ ...c!, status: 'partial_outage' }],
          }),
        );
      }
      const site = acmeSite(burstStore, join(root, 'site'), { now: () => NOW });
      await site.rebuild({ full: true });
      // A quiet moment, so the next rebuild is not paced behind the full one (see StatusSite.rebuild).
      await site.quiet();
      const first = site.rebuild({ incidentIds: [ids[0]!] });
      await new Promise((r) => setImmediate(r)); // the first rebuild is running now
      const rest = ids.slice(1).map((id) => site.rebuild({ incidentIds: [id] }));
      const reports = [await first, ...(await Promise.all(rest))];
      // The first runs alone; the five made while it ran wait together and share one rebuild.
      expect(new Set(reports).size).toBe(2);
      expect(reports[1]).toBe(reports[5]);
      expect(reports[1]).not.toBe(reports[0]);
      for (const id of ids)
        expect(readFileSync(join(root, 'site', 'incidents', `${id}.html`), 'utf8')).toContain('Burst');
    } finally {
      await burstStore.close();
    }
  });
});

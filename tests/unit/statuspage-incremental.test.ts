// An incremental rebuild renders only what its inputs changed, and leaves the site byte for byte as a full build
// of the same data would: through updates, status changes, new months, component edits and maintenance steps.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import { Templates } from '../../src/render/templates.js';
import { createLogger } from '../../src/runtime/logger.js';
import { loadBrand } from '../../src/statuspage/brand.js';
import { StatusSite } from '../../src/statuspage/build.js';
import { createComponent, deleteComponent, patchComponentAtomically } from '../../src/store/components-repo.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import {
  acmeSite,
  type SeedComponent,
  seedComponents,
  seedHistory,
  seedIncident,
  seedMaintenance,
  seedUpdate,
} from './statuspage-seed.js';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

/** Every file of the site (path → content), the version's own notes left out. */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (prefix === '' && e.name.startsWith('.herald-')) continue;
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else files.set(`${prefix}${e.name}`, readFileSync(join(d, e.name)));
    }
  };
  walk(dir, '');
  return files;
}

describe('incremental rebuilds of the status site', () => {
  let store: Store;
  let root: string;
  let site: StatusSite;
  let components: SeedComponent[];
  let active: string;
  let builds = 0;

  beforeAll(async () => {
    root = tempDir();
    store = await openStore(join(root, 'herald.db'));
    components = await seedComponents(store, 6, { groups: 2 });
    await seedHistory(store, components, 40, NOW, 120);
    active = await seedIncident(store, {
      title: 'Elevated latency',
      impact: 'major',
      startedAt: at(-90),
      components: [{ ...components[0]!, status: 'partial_outage' }],
    });
    site = acmeSite(store, join(root, 'site'), { now: () => NOW });
    const first = await site.rebuild({ full: true });
    expect(first.full).toBe(true);
  });
  afterAll(async () => {
    await store.close();
  });

  /** The site as it stands equals, byte for byte, a fresh full build of the same database at the same time. */
  async function expectSameAsFullBuild() {
    const fresh = acmeSite(store, join(root, `full-${++builds}`), { now: () => NOW });
    const report = await fresh.rebuild({ full: true });
    const expected = tree(join(root, `full-${builds}`));
    const actual = tree(join(root, 'site'));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, content] of expected)
      expect(actual.get(path)?.toString('utf8'), path).toBe(content.toString('utf8'));
    return report;
  }

  it('an update renders its incident, the index, its month, JSON and feeds; no badge, calendar or other month', async () => {
    await seedUpdate(store, active, 'We identified a misbehaving cache node.', at(-60));
    const report = await site.rebuild({ incidentIds: [active] });
    expect(report.full).toBe(false);
    const full = await expectSameAsFullBuild();
    expect(full.rendered).toBeGreaterThan(60);
    // index, embed, 404, subscribe, history.html, the incident, its month, 7 JSON documents, 2 feeds.
    expect(report.rendered).toBeLessThanOrEqual(20);
    expect(report.changed).toContain(`incidents/${active}.html`);
    expect(report.changed.filter((p) => p.endsWith('badge.svg') || p === 'maintenances.ics')).toEqual([]);
    expect(report.changed.filter((p) => p.startsWith('history/'))).toEqual([
      `history/${NOW.toISOString().slice(0, 7)}.html`,
    ]);
  });

  it('a component status change outside an incident re-renders its badge and the overall badge', async () => {
    await patchComponentAtomically(store.db, components[3]!.id, { status: 'major_outage' }, at(-50));
    const report = await site.rebuild({});
    expect(report.changed).toEqual(
      expect.arrayContaining([`components/${components[3]!.id}/badge.svg`, 'badge.svg', 'index.html']),
    );
    expect(report.changed.filter((p) => p.endsWith('badge.svg'))).toHaveLength(2);
    await expectSameAsFullBuild();
  });

  it('an incident in a month that had none renders that month and its neighbour (the pager link)', async () => {
    const old = await seedIncident(store, {
      title: 'Long ago',
      startedAt: '2025-01-10T08:00:00.000Z',
      resolvedAt: '2025-01-10T09:00:00.000Z',
      components: [{ ...components[1]!, status: 'major_outage' }],
    });
    const report = await site.rebuild({ incidentIds: [old] });
    const months = report.changed.filter((p) => p.startsWith('history/') && p !== 'history/index.html');
    expect(months).toContain('history/2025-01.html');
    expect(months).toHaveLength(2);
    await expectSameAsFullBuild();
  });

  it('a component added, another deleted, and maintenance scheduled, started and completed', async () => {
    const added = await createComponent(store.db, { name: 'Search', group: 'Group 1', description: null }, at(-40));
    let report = await site.rebuild({});
    expect(report.changed).toContain(`components/${added.id}/badge.svg`);
    await expectSameAsFullBuild();

    await deleteComponent(store.db, added.id, at(-35));
    report = await site.rebuild({});
    await expectSameAsFullBuild();
    expect(tree(join(root, 'site')).has(`components/${added.id}/badge.svg`)).toBe(false);

    const maintenance = await seedMaintenance(store, {
      title: 'Database upgrade',
      message: 'Upgrading the primary.',
      status: 'scheduled',
      scheduledFor: at(60),
      scheduledUntil: at(120),
      components: [components[2]!.id],
      at: at(-30),
    });
    report = await site.rebuild({});
    expect(report.changed).toContain('maintenances.ics');
    await expectSameAsFullBuild();
    for (const [status, minutes] of [
      ['in_progress', -20],
      ['completed', -10],
    ] as const) {
      await store.db
        .updateTable('maintenances')
        .set({ status, updated_at: at(minutes) })
        .where('id', '=', maintenance)
        .execute();
      await site.rebuild({});
      await expectSameAsFullBuild();
    }
  });

  it('resolving the incident, then a rebuild with nothing changed renders no badge, month nor calendar', async () => {
    await seedUpdate(store, active, 'Resolved.', at(-5), 'resolved');
    await site.rebuild({ incidentIds: [active] });
    await expectSameAsFullBuild();
    const idle = await site.rebuild({});
    expect(idle.changed).toEqual([]);
    expect(idle.rendered).toBeLessThanOrEqual(20);
    await expectSameAsFullBuild();
  });

  it('a new favicon (same colours) is added, and the old one stays for the pages not rendered again', async () => {
    const before = tree(join(root, 'site'));
    const old = loadBrand().favicon.path;
    expect(before.has(old)).toBe(true);
    const favicon = { path: 'assets/favicon.0123456789.svg', content: Buffer.from('<svg/>'), type: 'image/svg+xml' };
    const rebranded = new StatusSite({
      store,
      templates: new Templates(TEMPLATES_DIR),
      logger: createLogger({ level: 'silent' }),
      siteName: 'Acme',
      publicUrl: 'https://status.acme.test',
      dir: join(root, 'site'),
      brand: { ...loadBrand(), favicon },
      options: { now: () => NOW },
    });
    const report = await rebranded.rebuild({});
    expect(report.full).toBe(false);
    const after = tree(join(root, 'site'));
    expect(after.get(favicon.path)?.toString()).toBe('<svg/>');
    expect(after.get(old)).toEqual(before.get(old));
    expect(after.get(`incidents/${active}.html`)?.toString()).toContain(old);
  });
});

// Several processes rebuild the same status site: `herald serve --no-workers` on a component change, each
// `herald worker` on the updates it delivers. Two StatusSite instances on one directory stand for two processes.
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusSite } from '../../src/statuspage/build.js';
import { createTarget } from '../../src/statuspage/targets/index.js';
import { openStore, type Store } from '../../src/store/store.js';
import { kill, startScript } from '../helpers/child.js';
import { tempDir } from '../helpers/env.js';
import { acmeSite, type SeedComponent, seedComponents, seedIncident, seedUpdate } from '../unit/statuspage-seed.js';

describe('status site rebuilt by several processes at once', () => {
  let store: Store;
  let dir: string;
  let component: SeedComponent;
  const sites: StatusSite[] = [];

  beforeAll(async () => {
    const root = tempDir('herald-sp-concurrent-');
    store = await openStore(join(root, 'herald.db'));
    component = (await seedComponents(store, 1, { groups: 0 }))[0]!;
    dir = join(root, 'site');
    for (let i = 0; i < 3; i++) {
      sites.push(acmeSite(store, dir));
    }
    await sites[0]!.rebuild({ full: true });
  });
  afterAll(async () => {
    await store.close();
  });

  it("each one's incident pages survive the others' rebuilds, and the last version published has every incident", async () => {
    const ids: string[] = [];
    for (let round = 0; round < 4; round++) {
      // One new incident per process, each rebuilt by its own process, all at once.
      const opened = await Promise.all(
        sites.map((_, i) =>
          seedIncident(store, {
            title: `Round ${round} process ${i}`,
            startedAt: new Date().toISOString(),
            components: [{ ...component, status: 'partial_outage' }],
          }),
        ),
      );
      ids.push(...opened);
      await Promise.all(sites.map((site, i) => site.rebuild({ incidentIds: [opened[i]!] })));
    }
    const missing = ids.filter((id) => !existsSync(join(dir, 'incidents', `${id}.html`)));
    expect(missing).toEqual([]);
    const listed = (
      JSON.parse(readFileSync(join(dir, 'api/v2/incidents.json'), 'utf8')) as { incidents: { id: string }[] }
    ).incidents.map((i) => i.id);
    for (const id of ids) expect(listed).toContain(id);
  });

  it('a lock left by a process killed mid-rebuild is taken over once stale, and a live one is waited for', async () => {
    const lockDir = join(dirname(dir), `.${basename(dir)}.lock`);
    // Killed holder: its lock was last refreshed 30 s ago.
    mkdirSync(lockDir);
    const longAgo = new Date(Date.now() - 30_000);
    utimesSync(lockDir, longAgo, longAgo);
    const id = await seedIncident(store, {
      title: 'After a crash',
      startedAt: new Date().toISOString(),
      components: [{ ...component, status: 'major_outage' }],
    });
    await sites[0]!.rebuild({ incidentIds: [id] });
    expect(existsSync(join(dir, 'incidents', `${id}.html`))).toBe(true);
    expect(existsSync(lockDir)).toBe(false);

    // Live holder: the rebuild waits until it lets go.
    mkdirSync(lockDir);
    const next = await seedIncident(store, {
      title: 'While locked',
      startedAt: new Date().toISOString(),
      components: [{ ...component, status: 'major_outage' }],
    });
    let done = false;
    const rebuilt = sites[1]!.rebuild({ incidentIds: [next] }).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    rmSync(lockDir, { recursive: true });
    await rebuilt;
    expect(existsSync(join(dir, 'incidents', `${next}.html`))).toBe(true);
  });
});

describe('a process killed while it rebuilds the status site', () => {
  it('leaves its lock behind; the next rebuild elsewhere waits for it to go stale, then takes it over', {
    timeout: 60_000,
  }, async () => {
    const root = tempDir('herald-sp-killed-');
    const store = await openStore(join(root, 'herald.db'));
    const dir = join(root, 'site');
    try {
      const [component] = await seedComponents(store, 1, { groups: 0 });
      const holder = await startScript('tests/helpers/site-lock-holder.ts', {}, 20_000, [dir]);
      await kill(holder); // SIGKILL: no exit handler runs, the lock stays
      const lockDir = join(root, '.site.lock');
      expect(existsSync(lockDir)).toBe(true);

      const id = await seedIncident(store, {
        title: 'After the kill',
        startedAt: new Date().toISOString(),
        components: [{ ...component!, status: 'major_outage' }],
      });
      const site = acmeSite(store, dir);
      const started = performance.now();
      await site.rebuild({ incidentIds: [id] });
      const waited = performance.now() - started;
      // The dead holder refreshed the lock until the kill; it goes stale 10 s after that.
      expect(waited).toBeGreaterThan(5_000);
      expect(waited).toBeLessThan(30_000);
      expect(existsSync(join(dir, 'incidents', `${id}.html`))).toBe(true);
      expect(existsSync(lockDir)).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe('status site built on several machines, published to one shared target', () => {
  it("each machine's build brings the incident pages another machine rendered up to date, and drops none from the target", async () => {
    const root = tempDir('herald-sp-machines-');
    const store = await openStore(join(root, 'herald.db'));
    try {
      const [component] = await seedComponents(store, 1, { groups: 0 });
      const shared = join(root, 'www');
      // Two machines: a site directory each (their STATUS_PAGE_DIR), one database, one shared target.
      const [a, b] = ['a', 'b'].map((machine) =>
        acmeSite(store, join(root, machine, 'site'), { targets: [{ type: 'directory', path: shared }] }),
      ) as [StatusSite, StatusSite];
      await a.rebuild({ full: true });
      await b.rebuild({ full: true });

      // Machine B delivers an incident's first update; then machine A delivers another incident's.
      const stamp = (minute: number) => `2026-11-30T04:${String(minute).padStart(2, '0')}:00.000Z`;
      const onB = await seedIncident(store, {
        title: 'Seen by B',
        startedAt: stamp(1),
        components: [{ ...component!, status: 'partial_outage' }],
      });
      await b.rebuild({ incidentIds: [onB] });
      const onA = await seedIncident(store, {
        title: 'Seen by A',
        startedAt: stamp(2),
        components: [{ ...component!, status: 'major_outage' }],
      });
      await a.rebuild({ incidentIds: [onA] });
      for (const id of [onB, onA]) {
        expect(existsSync(join(shared, 'incidents', `${id}.html`)), id).toBe(true);
        expect(existsSync(join(root, 'a', 'site', 'incidents', `${id}.html`)), id).toBe(true);
      }

      // B posts a second update to its incident; A's next build shows it too, not the page as A last rendered it.
      await seedUpdate(store, onB, 'Found a bad deploy; rolling back.', stamp(3));
      await b.rebuild({ incidentIds: [onB] });
      await a.rebuild({});
      for (const page of [
        join(shared, 'incidents', `${onB}.html`),
        join(root, 'a', 'site', 'incidents', `${onB}.html`),
      ]) {
        expect(readFileSync(page, 'utf8'), page).toContain('Found a bad deploy; rolling back.');
      }

      // A build of older data that reaches the shared target late leaves the later one there.
      const target = createTarget({ type: 'directory', path: shared }, 0);
      const late = await target.publish({
        dir: join(root, 'a', 'site'),
        manifest: { 'index.html': 'an older hash' },
        stamp: stamp(2),
      });
      expect(late.skipped).toMatch(/later data/);
      expect(readFileSync(join(shared, 'incidents', `${onB}.html`), 'utf8')).toContain(
        'Found a bad deploy; rolling back.',
      );
    } finally {
      await store.close();
    }
  });
});

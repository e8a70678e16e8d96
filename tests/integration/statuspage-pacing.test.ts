// The status site paces rebuilds that follow each other closely (src/statuspage/build.ts): the next one waits up
// to 9× as long as the previous took (at most 2 s), and the requests made meanwhile share it.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatusSite } from '../../src/statuspage/build.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { acmeSite, seedComponents, seedIncident } from '../unit/statuspage-seed.js';

describe('status site rebuild pacing', () => {
  let store: Store;
  let site: StatusSite;
  let incidentId: string;

  beforeAll(async () => {
    const root = tempDir('herald-sp-pacing-');
    store = await openStore(join(root, 'herald.db'));
    const components = await seedComponents(store, 3);
    incidentId = await seedIncident(store, {
      title: 'Queue backlog',
      startedAt: new Date().toISOString(),
      components: [{ ...components[0]!, status: 'partial_outage' }],
    });
    site = acmeSite(store, join(root, 'site'));
  });
  afterAll(async () => {
    await store.close();
  });

  it('a rebuild right after another waits, and the requests made while it waits share it', async () => {
    const first = await site.rebuild({ full: true });
    const firstTook = first.buildMs + first.publishMs;
    const asked = performance.now();
    const requests = [
      site.rebuild({ incidentIds: [incidentId] }),
      site.rebuild({ incidentIds: [incidentId] }),
      site.rebuild(),
    ];
    const reports = await Promise.all(requests);
    const waited = performance.now() - asked - (reports[0]!.buildMs + reports[0]!.publishMs);
    expect(waited).toBeGreaterThanOrEqual(Math.min(9 * firstTook, 2_000) - 25);
    // One rebuild for the three requests.
    expect(new Set(reports).size).toBe(1);
  });

  it('quiet() resolves only once the pause is over, even when its timer fires before the clock gets there', async () => {
    // Node's timers count whole milliseconds from a cached clock and often fire a fraction of a millisecond before
    // performance.now() reaches the time asked for. A clock running at 90 % of the timers' pace makes that
    // happen on every timer, so a single timer would always leave quiet() early.
    const realNow = performance.now.bind(performance);
    const origin = realNow();
    const now = vi.spyOn(performance, 'now').mockImplementation(() => origin + (realNow() - origin) * 0.9);
    try {
      await site.rebuild({ full: true });
      await site.quiet();
      // Over means a rebuild asked for now starts at once: another quiet() needs no timer, only microtasks.
      let over = false;
      void site.quiet().then(() => {
        over = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(over).toBe(true);
    } finally {
      now.mockRestore();
    }
  });
});

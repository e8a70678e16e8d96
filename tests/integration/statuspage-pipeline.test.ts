import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { statuspage } from '../../src/channels/registry.js';
import type { StateChange } from '../../src/channels/channel.js';
import { rebuildStatusSite } from '../../src/channels/statuspage/index.js';
import { createTarget } from '../../src/statuspage/targets/index.js';
import { eventually, tempDir } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

describe('status page channel through the real pipeline', () => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('an opened incident is on /, its page and summary.json, served with caching and security headers', async () => {
    const mirror = join(tempDir('herald-sp-mirror-'), 'www');
    h = await startTestHerald({ channels: [statuspage({ targets: [{ type: 'directory', path: mirror }] })] });
    const api = await h.api('POST', '/api/v1/components', { name: 'API', group: 'Core' });
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout <errors>',
      message: 'We are investigating **elevated errors**.',
      impact: 'major',
      components: { [api.body.id]: 'major_outage' },
    });
    expect(opened.status).toBe(201);
    const incidentId = opened.body.incident.id;
    const delivery = await eventually(async () => {
      const res = await h!.api('GET', `/api/v1/updates/${opened.body.update.id}/deliveries`);
      const row = res.body.channels.find((c: { channel: string }) => c.channel === 'statuspage');
      return row?.state === 'delivered' ? row : undefined;
    });
    expect(delivery.externalUrl).toBe(`https://status.example.test/incidents/${incidentId}.html`);

    const index = await h.app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('Checkout &lt;errors&gt;');
    expect(index.body).toContain('<strong>elevated errors</strong>');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['referrer-policy']).toBeTruthy();
    expect(index.headers['cache-control']).toContain('stale-if-error');
    const etag = index.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const cached = await h.app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
    expect(cached.statusCode).toBe(304);
    expect(cached.body).toBe('');

    const page = await h.app.inject({ method: 'GET', url: `/incidents/${incidentId}.html` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Checkout &lt;errors&gt;</h1>');

    const summary = await h.app.inject({ method: 'GET', url: '/api/v2/summary.json' });
    expect(summary.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(summary.headers['access-control-allow-origin']).toBe('*');
    const body = summary.json();
    expect(body.status.indicator).toBe('critical');
    expect(body.incidents.map((i: { id: string }) => i.id)).toEqual([incidentId]);
    expect(body.components.find((c: { name: string }) => c.name === 'API').status).toBe('major_outage');

    // Outside the site: refused without touching the file system beyond it.
    for (const url of ['/../package.json', '/%2e%2e/package.json', '/.herald-manifest.json', '/incidents/nope.html']) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
    // The admin API keeps its own JSON 404.
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/nope' })).json().error).toBe('not_found');

    // The mirror got the same site.
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(mirror, 'incidents', `${incidentId}.html`), 'utf8')).toBe(page.body);

    // A component added or renamed without an update shows at once: the admin API refreshes the site.
    const billing = await h.api('POST', '/api/v1/components', { name: 'Billing', group: 'Core' });
    const componentNames = async () =>
      (await h!.app.inject({ method: 'GET', url: '/api/v2/components.json' }))
        .json()
        .components.map((c: { name: string }) => c.name);
    expect(await componentNames()).toContain('Billing');
    await h.api('PATCH', `/api/v1/components/${billing.body.id}`, { name: 'Billing & invoices' });
    expect(await componentNames()).toContain('Billing & invoices');
    // A status set outside an update shows at once too.
    await h.api('PATCH', `/api/v1/components/${billing.body.id}`, { status: 'degraded_performance' });
    const billingShown = (await h.app.inject({ method: 'GET', url: '/api/v2/components.json' }))
      .json()
      .components.find((c: { id: string }) => c.id === billing.body.id);
    expect(billingShown.status).toBe('degraded_performance');
    // Nothing is left for an explicit rebuild to do.
    const report = await rebuildStatusSite(h.herald, { full: true });
    expect(report?.changed).not.toContain('api/v2/components.json');
  });

  it('an update sent only elsewhere (channels without statuspage) still moves the page to the new status', async () => {
    const recorder = recordingChannel('recorder');
    h = await startTestHerald({ channels: [statuspage(), recorder.definition] });
    const api = await h.api('POST', '/api/v1/components', { name: 'API' });
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'Looking.',
      impact: 'major',
      components: { [api.body.id]: 'major_outage' },
    });
    await eventually(async () =>
      (await h!.api('GET', `/api/v1/updates/${opened.body.update.id}/deliveries`)).body.channels.every(
        (c: { state: string }) => c.state === 'delivered',
      ),
    );
    expect((await h.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().status.indicator).toBe(
      'critical',
    );

    const resolved = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'Fixed; Slack only.',
      status: 'resolved',
      channels: ['recorder'],
    });
    expect(resolved.status).toBe(201);
    // Only the channel asked for gets a delivery row; the page's workers refresh it, as they deliver to it.
    expect(
      (await h.api('GET', `/api/v1/updates/${resolved.body.update.id}/deliveries`)).body.channels.map(
        (c: { channel: string }) => c.channel,
      ),
    ).toEqual(['recorder']);
    await eventually(
      async () =>
        (await h!.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().status.indicator === 'none',
    );
    const summary = (await h.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(summary.components).toEqual([expect.objectContaining({ id: api.body.id, status: 'operational' })]);
    const page = await h.app.inject({ method: 'GET', url: `/incidents/${opened.body.incident.id}.html` });
    expect(page.body).toContain('Fixed; Slack only.');
  });

  it('a target that holds a build of later data keeps it: the update is delivered, and its record says the target was kept', async () => {
    const shared = join(tempDir('herald-sp-later-'), 'www');
    const target = { type: 'directory' as const, path: shared, name: 'shared' };
    // Another machine published a build of data from the future (as far as this one can tell).
    await createTarget(target, 0).publish({
      dir: tempDir('herald-sp-empty-'),
      manifest: {},
      stamp: '2999-01-01T00:00:00.000Z',
    });
    h = await startTestHerald({ channels: [statuspage({ targets: [target] })] });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Search is slow', message: 'Looking.' });
    expect(opened.status).toBe(201);
    const row = await eventually(async () => {
      const found = await h!.herald.store.db
        .selectFrom('deliveries')
        .select(['state', 'external_meta_json'])
        .where('update_id', '=', opened.body.update.id)
        .executeTakeFirst();
      return found?.state === 'delivered' ? found : undefined;
    });
    expect(JSON.parse(row.external_meta_json!)['target shared']).toMatch(
      /^shared: kept \(it holds a build of later data/,
    );
    expect(existsSync(join(shared, 'index.html'))).toBe(false);
    // The site this Herald serves has the update all the same.
    expect((await h.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).json().incidents[0].name).toBe(
      'Search is slow',
    );
  });

  it('the refresh of a page an update leaves out is a job for its workers: it does not hold the answer, and shutdown waits for it', async () => {
    const recorder = recordingChannel('recorder');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const refreshes: string[] = [];
    const slowPage = recordingChannel('slowpage').definition;
    const slowPageWithRefresh = {
      ...slowPage,
      create: (runtime: Parameters<typeof slowPage.create>[0]) => ({
        ...slowPage.create(runtime),
        async refresh(change: StateChange) {
          refreshes.push(`started ${change.incidentIds?.join()}`);
          await released;
          // As the status page does: it reads the database once it gets its turn.
          const incidents = await runtime.store.db.selectFrom('incidents').select('id').execute();
          refreshes.push(`finished, ${incidents.length} incident`);
        },
      }),
    };
    h = await startTestHerald({ channels: [slowPageWithRefresh, recorder.definition] });
    const asked = Date.now();
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'Looking.',
      channels: ['recorder'],
    });
    expect(opened.status).toBe(201);
    // Answered well before the 2 s a publish that waited for the refresh would give it; the page's workers refresh it.
    expect(Date.now() - asked).toBeLessThan(1_000);
    await eventually(() => refreshes.length > 0);
    expect(refreshes).toEqual([`started ${opened.body.incident.id}`]);
    // Shutdown waits for the refresh as for any job its workers hold, and keeps the database open for it.
    let closed = false;
    const closing = h.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(refreshes).toEqual([`started ${opened.body.incident.id}`, 'finished, 1 incident']);
    h = undefined;
  });

  it('an update stays published when its refresh job cannot be enqueued, and says so in the log', async () => {
    const recorder = recordingChannel('recorder');
    h = await startTestHerald({ channels: [statuspage(), recorder.definition] });
    const deps = h.herald.publishDeps;
    deps.queues.enqueueRefresh = async () => {
      throw new Error('enqueue timed out');
    };
    const warn = vi.spyOn(deps.logger, 'warn');
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'Looking.',
      channels: ['recorder'],
    });
    expect(opened.status).toBe(201);
    expect((await h.api('GET', `/api/v1/incidents/${opened.body.incident.id}`)).body.updates).toHaveLength(1);
    await eventually(() => recorder.sent.length === 1);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({
        incidentId: opened.body.incident.id,
        channels: ['statuspage'],
        err: 'enqueue timed out',
      }),
      expect.stringContaining('could not ask for a refresh'),
    );
  });

  it('a target that fails does not fail the delivery: the record shows it behind since when, and why', async () => {
    const blocker = join(tempDir('herald-sp-fail-'), 'file');
    writeFileSync(blocker, 'not a directory');
    h = await startTestHerald({
      workers: true,
      channels: [statuspage({ targets: [{ type: 'directory', path: join(blocker, 'www'), name: 'mirror' }] })],
    });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Down', message: 'Looking' });
    const row = await eventually(async () => {
      const res = await h!.api('GET', `/api/v1/updates/${opened.body.update.id}/deliveries`);
      const r = res.body.channels.find((c: { channel: string }) => c.channel === 'statuspage');
      return r?.state === 'delivered' && r.targets?.[0]?.state === 'behind' ? r : undefined;
    });
    expect(row.targets[0]).toMatchObject({
      name: 'mirror',
      state: 'behind',
      behindSince: expect.stringMatching(/^20\d\d-/),
      retryAt: expect.stringMatching(/^20\d\d-/),
      error: expect.stringMatching(/EEXIST|ENOTDIR/),
    });
    // Herald's own copy has the update all the same.
    expect((await h.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).json().incidents[0].name).toBe(
      'Down',
    );
    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^herald_statuspage_target_lag_seconds\{target="mirror"\} [0-9.]+$/m);
  });
});

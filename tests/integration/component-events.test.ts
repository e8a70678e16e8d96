import { execFile } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { webhooks } from '../../src/channels/webhooks/index.js';
import { verifyToken } from '../../src/domain/link-tokens.js';
import { componentEventJobId } from '../../src/pipeline/queues.js';
import { OutboxSweeper } from '../../src/pipeline/sweeper.js';
import { createLogger } from '../../src/runtime/logger.js';
import { componentEventRecipientStates, getComponentEvent } from '../../src/store/component-events-repo.js';
import { kill, startScript } from '../helpers/child.js';
import { REDIS_URL, eventually } from '../helpers/env.js';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { addUser, formPost, signIn } from './console-helpers.js';
import { randomSecret } from '../helpers/subscribers.js';

// A component's status changed outside an incident update (PATCH /api/v1/components/:id, which the CLI's
// `component edit` and the console's form also go through): one job on the engine sends the webhook subscribers
// one component event each, whatever retries or crashes happen on the way.

interface Received {
  path: string;
  id: string;
  body: Record<string, any>;
}

/**
 * A webhook receiver: verifies each request's Standard Webhooks signature with its path's secret. `fail(path, n,
 * status)`: answers the next n requests to that path with status (500); `hold(path)`: never answers the next one.
 */
async function receiver() {
  const secrets = new Map<string, string>();
  const received: Received[] = [];
  const attempts: Received[] = [];
  const failures = new Map<string, number>();
  const failStatus = new Map<string, number>();
  const holds = new Set<string>();
  const held: http.ServerResponse[] = [];
  let heldArrived: (() => void) | undefined;
  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (c) => (raw += c));
    request.on('end', () => {
      const path = request.url ?? '';
      let entry: Received;
      try {
        new Webhook(secrets.get(path)!).verify(raw, request.headers as Record<string, string>);
        entry = { path, id: String(request.headers['webhook-id']), body: JSON.parse(raw) };
      } catch {
        response.statusCode = 401;
        response.end();
        return;
      }
      attempts.push(entry);
      if (holds.delete(path)) {
        held.push(response);
        heldArrived?.();
        return;
      }
      const failing = failures.get(path) ?? 0;
      if (failing > 0) {
        failures.set(path, failing - 1);
        response.statusCode = failStatus.get(path) ?? 500;
      } else {
        received.push(entry);
        response.statusCode = 204;
      }
      response.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    secrets,
    received,
    attempts,
    at: (path: string) => received.filter((r) => r.path === path),
    fail(path: string, times: number, status = 500) {
      failures.set(path, times);
      failStatus.set(path, status);
    },
    hold(path: string) {
      holds.add(path);
      return new Promise<void>((r) => (heldArrived = r));
    },
    /** Answers the held requests now, with `status`: the test decides when the first attempt ends. */
    release(status: number) {
      for (const response of held.splice(0)) {
        response.statusCode = status;
        response.end();
      }
    },
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((r) => {
        for (const response of held) response.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

type Rx = Awaited<ReturnType<typeof receiver>>;

async function subscribe(h: TestHerald, rx: Rx, path: string, extra: Record<string, unknown> = {}) {
  const body = (await h.api('POST', '/api/v1/subscribers', { webhookUrl: rx.url(path), confirmed: true, ...extra }))
    .body;
  expect(body.secret).toMatch(/^whsec_/);
  rx.secrets.set(path, body.secret);
  return body as { id: string; secret: string };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe.each(['sqlite', 'postgres'] as const)('component changes outside an update, on %s', (database) => {
  it('one signed event per subscriber in each format; the same status, a rename or a reorder send none', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const secret = randomSecret();
    const h = await startTestHerald({
      database,
      channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true })],
      env: { HERALD_SECRET: secret, HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const api = (await h.api('POST', '/api/v1/components', { name: 'Checkout API' })).body.id as string;
    const search = (await h.api('POST', '/api/v1/components', { name: 'Search' })).body.id as string;
    const herald = await subscribe(h, rx, '/herald');
    const sp = await subscribe(h, rx, '/sp', { format: 'statuspage' });
    // Follows only Search: hears nothing of Checkout API.
    await subscribe(h, rx, '/search-only', { components: [search] });

    const patched = await h.api('PATCH', `/api/v1/components/${api}`, { status: 'major_outage' });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('major_outage');
    await eventually(async () => (rx.received.length >= 2 ? true : undefined), 20_000);

    const [heraldEvent] = rx.at('/herald');
    expect(heraldEvent!.body).toEqual({
      type: 'component.updated',
      timestamp: expect.any(String),
      data: {
        component: { id: api, name: 'Checkout API', status: 'major_outage', previousStatus: 'operational' },
      },
    });
    expect(heraldEvent!.id).toMatch(new RegExp(`^msg_[0-9a-z]{26}_${herald.id}$`));

    const [spEvent] = rx.at('/sp');
    expect(Object.keys(spEvent!.body).sort()).toEqual(['component', 'component_update', 'meta', 'page']);
    expect(spEvent!.body).toMatchObject({
      meta: { documentation: expect.stringContaining('statuspage') },
      page: { id: 'status.example.test', status_indicator: 'critical', status_description: 'Major System Outage' },
      component_update: {
        old_status: 'operational',
        new_status: 'major_outage',
        component_type: 'Component',
        component_id: api,
      },
      component: { id: api, name: 'Checkout API', status: 'major_outage' },
    });
    expect(spEvent!.body.meta.generated_at).toBe(spEvent!.body.component_update.created_at);
    const token = new URL(spEvent!.body.meta.unsubscribe).searchParams.get('token');
    expect(verifyToken(secret, 'unsubscribe', token)).toMatchObject({ ok: true, subscriberId: sp.id });

    // The same status again, a rename, a new position: no status change, no event.
    expect((await h.api('PATCH', `/api/v1/components/${api}`, { status: 'major_outage' })).status).toBe(200);
    expect((await h.api('PATCH', `/api/v1/components/${api}`, { name: 'Checkout' })).status).toBe(200);
    expect((await h.api('PATCH', `/api/v1/components/${api}`, { position: 7 })).status).toBe(200);
    // Then a real change: it comes after anything the three above could have sent.
    await h.api('PATCH', `/api/v1/components/${api}`, { status: 'operational' });
    await eventually(async () => (rx.received.length >= 4 ? true : undefined), 20_000);
    await pause(500);
    expect(rx.at('/herald').map((r) => r.body.data.component)).toEqual([
      { id: api, name: 'Checkout API', status: 'major_outage', previousStatus: 'operational' },
      { id: api, name: 'Checkout', status: 'operational', previousStatus: 'major_outage' },
    ]);
    expect(rx.at('/sp').map((r) => r.body.component_update.new_status)).toEqual(['major_outage', 'operational']);
    expect(rx.at('/sp')[1]!.body.page).toMatchObject({ status_indicator: 'none' });
    expect(rx.at('/search-only')).toEqual([]);
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(4);

    const events = await h.herald.store.db.selectFrom('component_events').selectAll().orderBy('id').execute();
    expect(events.map((e) => [e.old_status, e.new_status, e.done_at !== null])).toEqual([
      ['operational', 'major_outage', true],
      ['major_outage', 'operational', true],
    ]);
    // Enqueued again (a retried request, a second process, the sweeper): the job is there, nothing is sent twice.
    await h.herald.queues.enqueueComponentEvent(events[0]!.id);
    await pause(800);
    expect(rx.received).toHaveLength(4);
  }, 60_000);
});

describe('component changes outside an update: which subscribers, retries, crashes', () => {
  it('without componentEvents a Herald-format subscriber gets none; a statuspage one still gets component_update', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100 })],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    const herald = await subscribe(h, rx, '/herald');
    await subscribe(h, rx, '/sp', { format: 'statuspage' });
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'degraded_performance' });
    await eventually(async () => (rx.received.length >= 1 ? true : undefined), 20_000);
    await pause(800);
    expect(rx.received.map((r) => r.path)).toEqual(['/sp']);
    expect(rx.received[0]!.body.component_update).toMatchObject({
      old_status: 'operational',
      new_status: 'degraded_performance',
    });
    const event = (await h.herald.store.db.selectFrom('component_events').select('id').executeTakeFirstOrThrow()).id;
    const states = await componentEventRecipientStates(h.herald.store.db, event);
    expect(states.find((s) => s.subscriberId === herald.id)).toMatchObject({ state: 'skipped', attempts: 1 });
  }, 60_000);

  it("a maintenance's start and end send component events with its notices, naming the maintenance", async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true })],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1', HERALD_MAINTENANCE_CHECK_SECONDS: '0.5' },
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'Database' })).body.id;
    await subscribe(h, rx, '/herald');
    await subscribe(h, rx, '/sp', { format: 'statuspage' });
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    const created = await h.api('POST', '/api/v1/maintenances', {
      title: 'Database upgrade',
      message: 'Upgrading the primary.',
      scheduledFor: at(2),
      scheduledUntil: at(4),
      components: [id],
    });
    expect(created.status).toBe(201);
    const maintenanceId = created.body.id;
    await eventually(async () => (rx.at('/herald').length >= 5 ? true : undefined), 30_000);
    await pause(800);
    expect(rx.at('/herald').map((r) => r.body.type)).toEqual([
      'maintenance.scheduled',
      'maintenance.updated',
      'component.updated',
      'maintenance.completed',
      'component.updated',
    ]);
    const components = rx.at('/herald').filter((r) => r.body.type === 'component.updated');
    expect(components.map((r) => [r.body.data.component.previousStatus, r.body.data.component.status])).toEqual([
      ['operational', 'under_maintenance'],
      ['under_maintenance', 'operational'],
    ]);
    expect(components[0]!.body.data).toMatchObject({ maintenance: { id: maintenanceId, title: 'Database upgrade' } });
    expect(components[0]!.body.data.incident).toBeUndefined();
    const sp = rx.at('/sp').filter((r) => r.body.component_update);
    expect(sp.map((r) => r.body.component_update.new_status)).toEqual(['under_maintenance', 'operational']);
    // Those changes were carried by the notices: no component event of their own.
    expect(await h.herald.store.db.selectFrom('component_events').selectAll().execute()).toEqual([]);
  }, 60_000);

  it('an update or a maintenance not sent to the webhooks: their status changes are component events of their own', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      database: 'postgres',
      channels: [
        webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true }),
        recordingChannel('chat').definition,
      ],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1', HERALD_MAINTENANCE_CHECK_SECONDS: '0.5' },
    });
    cleanups.push(() => h.close());
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    const db = (await h.api('POST', '/api/v1/components', { name: 'Database' })).body.id;
    await subscribe(h, rx, '/herald');
    await subscribe(h, rx, '/sp', { format: 'statuspage' });

    // To the chat only: the webhooks hear of the component's change, not of the incident.
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'API errors',
      message: 'Investigating.',
      components: { [api]: 'partial_outage' },
      channels: ['chat'],
    });
    expect(opened.status).toBe(201);
    await eventually(async () => (rx.received.length >= 2 ? true : undefined), 20_000);
    expect(rx.at('/herald').map((r) => r.body)).toEqual([
      {
        type: 'component.updated',
        timestamp: expect.any(String),
        data: { component: { id: api, name: 'API', status: 'partial_outage', previousStatus: 'operational' } },
      },
    ]);
    expect(rx.at('/sp')[0]!.body.component_update).toMatchObject({
      old_status: 'operational',
      new_status: 'partial_outage',
    });

    // To every channel: the update carries its component event; none of its own.
    await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'Fixed.',
      status: 'resolved',
    });
    await eventually(async () => (rx.at('/herald').length >= 3 ? true : undefined), 20_000);

    // A maintenance whose notices go to the chat only: its start and end are component events of their own.
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    await h.api('POST', '/api/v1/maintenances', {
      title: 'Database upgrade',
      message: 'Upgrading.',
      scheduledFor: at(1.5),
      scheduledUntil: at(3.5),
      components: [db],
      channels: ['chat'],
    });
    await eventually(async () => (rx.at('/herald').length >= 5 ? true : undefined), 30_000);
    await pause(1_000);
    expect(
      rx.at('/herald').map((r) => [r.body.type, r.body.data.component?.id, r.body.data.component?.status]),
    ).toEqual([
      ['component.updated', api, 'partial_outage'],
      ['incident.resolved', undefined, undefined],
      ['component.updated', api, 'operational'],
      ['component.updated', db, 'under_maintenance'],
      ['component.updated', db, 'operational'],
    ]);
    expect(rx.at('/herald')[2]!.body.data.incident).toMatchObject({ id: opened.body.incident.id });
    expect(rx.at('/herald')[3]!.body.data.maintenance).toBeUndefined();
    const events = await h.herald.store.db.selectFrom('component_events').selectAll().orderBy('id').execute();
    expect(events.map((e) => [e.component_id, e.new_status, e.done_at !== null])).toEqual([
      [api, 'partial_outage', true],
      [db, 'under_maintenance', true],
      [db, 'operational', true],
    ]);
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(rx.received.length);
  }, 90_000);

  it("the console's component form changes a status and sends the event; a rename sends none", async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true })],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    await subscribe(h, rx, '/herald');
    await addUser(h, 'cmd', 'commander');
    const { cookie, csrf } = await signIn(h, 'cmd');
    const page = await h.app.inject({ method: 'GET', url: '/console/components', headers: { cookie } });
    expect(page.body).toContain(`<select id="status-${id}" name="status">`);
    expect(page.body).toMatch(/<option value="operational" selected>Operational<\/option>/);

    const bad = await formPost(h, `/console/components/${id}`, cookie, { _csrf: csrf, name: 'API', status: 'on_fire' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/status/);
    const saved = await formPost(h, `/console/components/${id}`, cookie, {
      _csrf: csrf,
      name: 'API',
      status: 'degraded_performance',
    });
    expect(saved.statusCode).toBe(303);
    await eventually(async () => (rx.received.length >= 1 ? true : undefined), 20_000);
    // A new name, the status as it is: no event.
    await formPost(h, `/console/components/${id}`, cookie, {
      _csrf: csrf,
      name: 'Public API',
      status: 'degraded_performance',
    });
    await pause(800);
    expect(rx.received.map((r) => r.body.data.component)).toEqual([
      { id, name: 'API', status: 'degraded_performance', previousStatus: 'operational' },
    ]);
    expect((await h.api('GET', '/api/v1/components')).body[0]).toMatchObject({
      name: 'Public API',
      status: 'degraded_performance',
    });
  }, 60_000);

  it('herald component edit --status sends the event; the same status again sends none', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true })],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    await subscribe(h, rx, '/herald');
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    const bin = resolve(import.meta.dirname, '../../bin/herald.mjs');
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, [bin, ...args], {
        env: { ...process.env, HERALD_URL: url, HERALD_API_TOKEN: TEST_TOKEN },
        timeout: 60_000,
      });
    const edited = JSON.parse((await cli(['component', 'edit', id, '--status', 'major_outage', '--json'])).stdout);
    expect(edited).toMatchObject({ id, status: 'major_outage' });
    await cli(['component', 'edit', id, '--status', 'major_outage']);
    await eventually(async () => (rx.received.length >= 1 ? true : undefined), 20_000);
    await pause(800);
    expect(rx.received.map((r) => r.body.data.component)).toEqual([
      { id, name: 'API', status: 'major_outage', previousStatus: 'operational' },
    ]);
  }, 90_000);

  it('a job lost (Redis flushed, a crash before the enqueue) is enqueued again by the sweeper, once', async () => {
    const h = await startTestHerald({
      workers: false,
      channels: [webhooks({ allowPrivate: true, componentEvents: true })],
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'major_outage' });
    const event = (await h.herald.store.db.selectFrom('component_events').select('id').executeTakeFirstOrThrow()).id;
    const queue = h.herald.queues.componentEvents();
    expect(await queue.getJob(componentEventJobId(event))).toBeDefined();
    await queue.remove(componentEventJobId(event));
    expect(await queue.getJob(componentEventJobId(event))).toBeUndefined();

    const sweeper = new OutboxSweeper(h.herald.store, h.herald.queues, createLogger({ level: 'silent' }), {
      staleAfterMs: 0,
    });
    await pause(5);
    expect(await sweeper.sweepOnce()).toMatchObject({ enqueued: 1 });
    expect(await (await queue.getJob(componentEventJobId(event)))?.getState()).toBe('waiting');
    // Its job there, a second sweep adds nothing.
    expect(await sweeper.sweepOnce()).toMatchObject({ enqueued: 0 });
  }, 60_000);

  it('an event keeps its name and page when written; one stored before migration 015 reads them as they are now', async () => {
    const h = await startTestHerald({
      database: 'postgres',
      workers: false,
      channels: [webhooks({ allowPrivate: true, componentEvents: true })],
    });
    cleanups.push(() => h.close());
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    const search = (await h.api('POST', '/api/v1/components', { name: 'Search' })).body.id;
    await h.api('PATCH', `/api/v1/components/${search}`, { status: 'degraded_performance' });
    // A rename in the same request as the change: the event carries the new name.
    await h.api('PATCH', `/api/v1/components/${api}`, { status: 'major_outage', name: 'Public API' });
    await h.api('PATCH', `/api/v1/components/${api}`, { name: 'Renamed later' });
    await h.api('PATCH', `/api/v1/components/${search}`, { status: 'operational' });
    const { db } = h.herald.store;
    const rows = await db.selectFrom('component_events').selectAll().orderBy('id').execute();
    expect(rows.map((r) => [r.component_id, r.component_name, JSON.parse(r.page_statuses!)])).toEqual([
      [search, 'Search', ['degraded_performance', 'operational']],
      [api, 'Public API', ['degraded_performance', 'major_outage']],
      [search, 'Search', ['major_outage', 'operational']],
    ]);
    expect(await getComponentEvent(db, rows[1]!.id)).toMatchObject({
      component: { id: api, name: 'Public API' },
      oldStatus: 'operational',
      newStatus: 'major_outage',
      pageStatuses: ['degraded_performance', 'major_outage'],
      recipientsListedAt: null,
    });
    await db
      .updateTable('component_events')
      .set({ component_name: null, page_statuses: null })
      .where('id', '=', rows[1]!.id)
      .execute();
    expect(await getComponentEvent(db, rows[1]!.id)).toMatchObject({
      component: { id: api, name: 'Renamed later' },
      pageStatuses: null,
    });
  }, 60_000);

  it('a job retried after one endpoint failed sends the others nothing again', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true })],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    await subscribe(h, rx, '/a');
    await subscribe(h, rx, '/b');
    await subscribe(h, rx, '/c', { format: 'statuspage' });
    rx.fail('/b', 1);
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'partial_outage' });
    await eventually(async () => (rx.received.length >= 3 ? true : undefined), 30_000);
    await pause(800);
    expect(rx.attempts.filter((r) => r.path === '/b')).toHaveLength(2);
    for (const path of ['/a', '/b', '/c']) expect(rx.at(path), path).toHaveLength(1);
    const [first, retried] = rx.attempts.filter((r) => r.path === '/b');
    expect(retried!.id).toBe(first!.id);
    const event = (await h.herald.store.db.selectFrom('component_events').select('id').executeTakeFirstOrThrow()).id;
    const states = await componentEventRecipientStates(h.herald.store.db, event);
    expect(states.map((s) => [s.state, s.attempts]).sort()).toEqual([
      ['sent', 1],
      ['sent', 1],
      ['sent', 2],
    ]);
  }, 60_000);

  it('an event sent later describes the change as it happened: the name and the page then', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      channels: [
        webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, timeoutMs: 20_000, componentEvents: true }),
      ],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const api = (await h.api('POST', '/api/v1/components', { name: 'Checkout API' })).body.id;
    const search = (await h.api('POST', '/api/v1/components', { name: 'Search' })).body.id;
    // Rows are sent in subscriber order: /herald answers, /sp keeps its first request until the test answers it.
    await subscribe(h, rx, '/herald');
    await subscribe(h, rx, '/sp', { format: 'statuspage' });
    const held = rx.hold('/sp');
    await h.api('PATCH', `/api/v1/components/${api}`, { status: 'partial_outage' });
    await held;
    // While the first attempt waits: a rename, and another component's outage; then the attempt fails (503).
    await h.api('PATCH', `/api/v1/components/${api}`, { name: 'Checkout' });
    await h.api('PATCH', `/api/v1/components/${search}`, { status: 'major_outage' });
    rx.release(503);
    const ofApi = (r: Received) => r.body.component_update?.component_id === api;
    await eventually(async () => (rx.at('/sp').some(ofApi) ? true : undefined), 30_000);
    const retried = rx.at('/sp').find(ofApi)!;
    expect(retried.body.component).toMatchObject({ id: api, name: 'Checkout API', status: 'partial_outage' });
    // The page as it was right after the change (a partial outage), not with Search's later major outage.
    expect(retried.body.page).toMatchObject({ status_indicator: 'major', status_description: 'Partial System Outage' });
    expect(retried.body.meta.generated_at).toBe(retried.body.component_update.created_at);
    // The first attempt (before the rename) and the retry: the same event (the unsubscribe link's token is signed
    // when sent).
    const withoutLink = (b: Record<string, any>) => ({ ...b, meta: { ...b.meta, unsubscribe: undefined } });
    const sentToSp = rx.attempts.filter((r) => r.path === '/sp' && ofApi(r)).map((r) => withoutLink(r.body));
    expect(sentToSp).toEqual([withoutLink(retried.body), withoutLink(retried.body)]);
    expect(rx.at('/herald').find((r) => r.body.data.component.id === api)!.body.data.component).toEqual({
      id: api,
      name: 'Checkout API',
      status: 'partial_outage',
      previousStatus: 'operational',
    });
    // The event after it: Search's own, named as it is, the page at its worst.
    const ofSearch = (r: Received) => r.body.component_update?.component_id === search;
    await eventually(async () => (rx.at('/sp').some(ofSearch) ? true : undefined), 30_000);
    expect(rx.at('/sp').find(ofSearch)!.body.page).toMatchObject({ status_indicator: 'critical' });
  }, 60_000);

  it('the recipients are listed once: a subscriber who signs up while a send is retried gets none of it', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      channels: [
        webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, timeoutMs: 20_000, componentEvents: true }),
      ],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    const early = await subscribe(h, rx, '/early');
    const held = rx.hold('/early');
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'major_outage' });
    await held;
    const late = await subscribe(h, rx, '/late');
    rx.release(503);
    await eventually(async () => (rx.at('/early').length >= 1 ? true : undefined), 30_000);
    await pause(800);
    expect(rx.attempts.filter((r) => r.path === '/early')).toHaveLength(2);
    expect(rx.at('/late')).toEqual([]);
    const event = await h.herald.store.db.selectFrom('component_events').selectAll().executeTakeFirstOrThrow();
    expect(event.done_at).not.toBeNull();
    expect(event.recipients_listed_at).not.toBeNull();
    const states = await componentEventRecipientStates(h.herald.store.db, event.id);
    expect(states.map((s) => [s.subscriberId, s.state, s.attempts])).toEqual([[early.id, 'sent', 2]]);
    // The next change is listed anew: the late subscriber hears of it.
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'operational' });
    await eventually(async () => (rx.at('/late').length >= 1 ? true : undefined), 20_000);
    expect(rx.at('/late')[0]!.body.data.component).toMatchObject({ id, status: 'operational' });
    expect(late.id).not.toBe(early.id);
  }, 60_000);

  it("an endpoint that keeps failing is quarantined as an incident's fan-out does it; one that answers is reset", async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const h = await startTestHerald({
      database: 'postgres',
      channels: [webhooks({ allowPrivate: true, quarantineAfter: 2, componentEvents: true })],
      env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    cleanups.push(() => h.close());
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    const bad = await subscribe(h, rx, '/bad');
    const good = await subscribe(h, rx, '/good');
    const gone = await subscribe(h, rx, '/gone');
    rx.fail('/bad', 100);
    rx.fail('/gone', 100, 410);
    // A failure left from before: the good endpoint's send ends its run.
    await h.herald.store.db.updateTable('subscribers').set({ failure_count: 1 }).where('id', '=', good.id).execute();
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'major_outage' });
    const event = (await h.herald.store.db.selectFrom('component_events').select('id').executeTakeFirstOrThrow()).id;
    await eventually(async () => {
      const row = await h.herald.store.db
        .selectFrom('component_events')
        .select('done_at')
        .where('id', '=', event)
        .executeTakeFirst();
      return row?.done_at ? true : undefined;
    }, 30_000);
    const subscriber = (sid: string) =>
      h.herald.store.db
        .selectFrom('subscribers')
        .select(['state', 'failure_count', 'last_error'])
        .where('id', '=', sid)
        .executeTakeFirstOrThrow();
    // Two failed attempts, the quarantine after the second: the job tries it no more (it has twelve attempts).
    expect(rx.attempts.filter((r) => r.path === '/bad')).toHaveLength(2);
    expect(await subscriber(bad.id)).toMatchObject({
      state: 'quarantined',
      failure_count: 2,
      last_error: 'endpoint answered HTTP 500',
    });
    expect(await subscriber(good.id)).toMatchObject({ state: 'active', failure_count: 0 });
    const states = await componentEventRecipientStates(h.herald.store.db, event);
    expect(states.find((s) => s.subscriberId === bad.id)).toMatchObject({
      state: 'failed',
      attempts: 2,
      error: expect.stringMatching(/^endpoint quarantined after repeated failures/),
    });
    expect(states.find((s) => s.subscriberId === good.id)).toMatchObject({ state: 'sent', attempts: 1 });
    // 410 Gone: refused for good at once, as an incident's delivery disables it.
    expect(rx.attempts.filter((r) => r.path === '/gone')).toHaveLength(1);
    expect(await subscriber(gone.id)).toMatchObject({ state: 'disabled', failure_count: 1 });
    expect(states.find((s) => s.subscriberId === gone.id)).toMatchObject({ state: 'failed', attempts: 1 });
    // Quarantined: the next change does not list it.
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'operational' });
    await eventually(async () => (rx.at('/good').length >= 2 ? true : undefined), 20_000);
    await pause(500);
    expect(rx.attempts.filter((r) => r.path === '/bad')).toHaveLength(2);
    expect(rx.attempts.filter((r) => r.path === '/gone')).toHaveLength(1);
  }, 60_000);

  it('a worker killed mid-event: the next worker sends only what was not answered, under the same webhook-id', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const secret = randomSecret();
    const env = { HERALD_SECRET: secret, HERALD_ALLOW_PRIVATE_WEBHOOKS: '1', HERALD_LOCK_DURATION_MS: '1500' };
    const h = await startTestHerald({
      workers: false,
      channels: [webhooks({ allowPrivate: true, componentEvents: true })],
      env,
    });
    cleanups.push(() => h.close());
    const childEnv = {
      ...env,
      DATABASE_URL: h.databaseUrl,
      REDIS_URL,
      HERALD_QUEUE_PREFIX: h.prefix,
      HERALD_DATA_DIR: h.dataDir,
      HERALD_PUBLIC_URL: 'https://status.example.test',
      HERALD_API_TOKEN: 'test-token-0123456789',
    };
    const id = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    // Rows are sent in subscriber order: /a answers, then the worker dies while /b holds its request.
    await subscribe(h, rx, '/a');
    await subscribe(h, rx, '/b');
    const heldArrived = rx.hold('/b');

    const first: ChildProcess = await startScript('tests/helpers/webhook-worker-process.ts', childEnv, 60_000);
    cleanups.push(() => kill(first));
    await h.api('PATCH', `/api/v1/components/${id}`, { status: 'major_outage' });
    await heldArrived;
    await kill(first, 'SIGKILL');
    expect(rx.at('/a')).toHaveLength(1);

    const second = await startScript('tests/helpers/webhook-worker-process.ts', childEnv, 60_000);
    cleanups.push(() => kill(second));
    await eventually(async () => (rx.at('/b').length >= 1 ? true : undefined), 40_000);
    await pause(1_000);
    expect(rx.at('/a')).toHaveLength(1);
    expect(rx.at('/b')).toHaveLength(1);
    // The request the dead worker made and the one after it: one event to the receiver (same webhook-id).
    const toB = rx.attempts.filter((r) => r.path === '/b');
    expect(toB).toHaveLength(2);
    expect(new Set(toB.map((r) => r.id)).size).toBe(1);
    const event = await h.herald.store.db.selectFrom('component_events').selectAll().executeTakeFirstOrThrow();
    expect(event.done_at).not.toBeNull();
  }, 120_000);
});

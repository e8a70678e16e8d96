import { afterEach, describe, expect, it } from 'vitest';
import { statuspage, webhooks } from '../../src/channels/registry.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

describe.each(['sqlite', 'postgres'] as const)('component edit, delete and order (%s)', (database) => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a name already used in the group gets 409 with the existing id, and nothing is added', async () => {
    h = await startTestHerald({ database, workers: false });
    const first = await h.api('POST', '/api/v1/components', { name: 'API', group: 'Core' });
    expect(first.status).toBe(201);
    const again = await h.api('POST', '/api/v1/components', { name: ' api ', group: 'Core' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'conflict', details: { existingId: first.body.id } });
    expect(again.body.message).toMatch(/already exists in group 'Core'/);
    // Another group, or none, is another place: allowed.
    expect((await h.api('POST', '/api/v1/components', { name: 'API', group: 'Edge' })).status).toBe(201);
    expect((await h.api('POST', '/api/v1/components', { name: 'API' })).status).toBe(201);
    expect((await h.api('POST', '/api/v1/components', { name: 'API' })).status).toBe(409);
    expect((await h.api('GET', '/api/v1/components')).body).toHaveLength(3);
    // Renaming or regrouping into a clash is refused the same way.
    const edge = (await h.api('GET', '/api/v1/components')).body.find((c: { group: string }) => c.group === 'Edge');
    const clash = await h.api('PATCH', `/api/v1/components/${edge.id}`, { group: 'Core' });
    expect(clash.status).toBe(409);
    expect(clash.body.details).toEqual({ existingId: first.body.id });
    expect((await h.api('GET', '/api/v1/components')).body.find((c: { id: string }) => c.id === edge.id).group).toBe(
      'Edge',
    );
  });

  it('a deleted component leaves the page, the JSON and the choices; past incidents keep its name', async () => {
    // Webhooks: an audience channel, so subscribe.html has a form with the component choices.
    h = await startTestHerald({ database, channels: [statuspage(), webhooks()] });
    const db = (await h.api('POST', '/api/v1/components', { name: 'Primary database', group: 'Data' })).body;
    const web = (await h.api('POST', '/api/v1/components', { name: 'Website', group: 'Data' })).body;
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Slow queries',
      message: 'Looking.',
      components: { [db.id]: 'degraded_performance' },
    });
    await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'Fixed.',
      status: 'resolved',
    });

    const deleted = await h.api('DELETE', `/api/v1/components/${db.id}`);
    expect(deleted.status).toBe(204);
    expect((await h.api('DELETE', `/api/v1/components/${db.id}`)).status).toBe(404);
    expect((await h.api('PATCH', `/api/v1/components/${db.id}`, { name: 'Back' })).status).toBe(404);
    expect((await h.api('GET', '/api/v1/components')).body.map((c: { id: string }) => c.id)).toEqual([web.id]);

    // Not a choice any more: not for a new incident, a subscriber or a maintenance.
    const incident = await h.api('POST', '/api/v1/incidents', {
      title: 't',
      message: 'm',
      components: { [db.id]: 'major_outage' },
    });
    expect(incident.status).toBe(400);
    const subscriber = await h.api('POST', '/api/v1/subscribers', { email: 'a@example.com', components: [db.id] });
    expect(subscriber.status).toBe(400);

    // The name can be used again in the group.
    const reborn = await h.api('POST', '/api/v1/components', { name: 'Primary database', group: 'Data' });
    expect(reborn.status).toBe(201);

    await eventually(async () => {
      const json = (await h!.app.inject({ method: 'GET', url: '/api/v2/components.json' })).json();
      const ids = json.components.map((c: { id: string }) => c.id);
      return ids.includes(reborn.body.id) && !ids.includes(db.id);
    }, 30_000);
    const index = (await h.app.inject({ method: 'GET', url: '/' })).body;
    expect(index).not.toContain(db.id);
    await eventually(async () => {
      const form = (await h!.app.inject({ method: 'GET', url: '/subscribe.html' })).body;
      return form.includes(`value="${reborn.body.id}"`) && !form.includes(db.id);
    });
    const past = (await h.app.inject({ method: 'GET', url: `/incidents/${opened.body.incident.id}.html` })).body;
    expect(past).toContain('Primary database');
    const detail = await h.api('GET', `/api/v1/incidents/${opened.body.incident.id}`);
    expect(detail.body.components.map((c: { name: string }) => c.name)).toEqual(['Primary database']);
  });

  it('position orders components within a group', async () => {
    h = await startTestHerald({ database, workers: false });
    const a = (await h.api('POST', '/api/v1/components', { name: 'A', group: 'G' })).body;
    const b = (await h.api('POST', '/api/v1/components', { name: 'B', group: 'G' })).body;
    expect((await h.api('PATCH', `/api/v1/components/${b.id}`, { position: 0 })).status).toBe(200);
    expect((await h.api('PATCH', `/api/v1/components/${a.id}`, { position: 5 })).status).toBe(200);
    expect((await h.api('GET', '/api/v1/components')).body.map((c: { name: string }) => c.name)).toEqual(['B', 'A']);
    const bad = await h.api('PATCH', `/api/v1/components/${a.id}`, { position: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/position/);
  });
});

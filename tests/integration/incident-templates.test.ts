import { afterEach, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

describe.each(['sqlite', 'postgres'] as const)('incident templates (%s)', (database) => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const component = async (name: string) => (await h!.api('POST', '/api/v1/components', { name })).body.id as string;
  const templates = async () => (await h!.api('GET', '/api/v1/incident-templates')).body;

  it('are created, listed, shown, edited and deleted; a name used already gets 409 with the existing id', async () => {
    h = await startTestHerald({ database, workers: false });
    const db = await component('Database');
    const api = await component('API');
    const created = await h.api('POST', '/api/v1/incident-templates', {
      name: 'Database outage',
      title: 'Database unavailable',
      message: 'We are **investigating** errors from the database.',
      impact: 'major',
      status: 'identified',
      components: { [db]: 'major_outage', [api]: 'degraded_performance' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Database outage',
      title: 'Database unavailable',
      impact: 'major',
      status: 'identified',
    });
    expect(created.body.components).toEqual([
      { id: db, name: 'Database', status: 'major_outage' },
      { id: api, name: 'API', status: 'degraded_performance' },
    ]);
    const id = created.body.id as string;

    const clash = await h.api('POST', '/api/v1/incident-templates', {
      name: ' DATABASE outage ',
      title: 't',
      message: 'm',
    });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ error: 'conflict', details: { existingId: id } });
    expect(clash.body.message).toMatch(/already exists/);

    const other = await h.api('POST', '/api/v1/incident-templates', { name: 'Slow API', title: 'Slow', message: 'm' });
    expect(other.status).toBe(201);
    expect(other.body).toMatchObject({ impact: null, status: null, components: [] });
    expect((await templates()).map((t: { name: string }) => t.name)).toEqual(['Database outage', 'Slow API']);
    expect((await h.api('GET', `/api/v1/incident-templates/${id}`)).body).toEqual(created.body);

    // Renaming into a clash is refused and changes nothing; other edits go through.
    const renameClash = await h.api('PATCH', `/api/v1/incident-templates/${other.body.id}`, {
      name: 'database OUTAGE',
    });
    expect(renameClash.status).toBe(409);
    expect(renameClash.body.details).toEqual({ existingId: id });
    const edited = await h.api('PATCH', `/api/v1/incident-templates/${id}`, {
      title: 'Database down',
      impact: null,
      components: { [db]: 'partial_outage' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      name: 'Database outage',
      title: 'Database down',
      impact: null,
      status: 'identified',
    });
    expect(edited.body.components).toEqual([{ id: db, name: 'Database', status: 'partial_outage' }]);
    // Its own name, in another case, is not a clash.
    expect((await h.api('PATCH', `/api/v1/incident-templates/${id}`, { name: 'database outage' })).status).toBe(200);

    expect((await h.api('DELETE', `/api/v1/incident-templates/${other.body.id}`)).status).toBe(204);
    expect((await h.api('DELETE', `/api/v1/incident-templates/${other.body.id}`)).status).toBe(404);
    expect((await h.api('GET', `/api/v1/incident-templates/${other.body.id}`)).status).toBe(404);
    expect((await h.api('PATCH', `/api/v1/incident-templates/${other.body.id}`, { title: 'x' })).status).toBe(404);
    expect((await templates()).map((t: { id: string }) => t.id)).toEqual([id]);
    // The name is free again.
    expect(
      (await h.api('POST', '/api/v1/incident-templates', { name: 'Slow API', title: 't', message: 'm' })).status,
    ).toBe(201);
  });

  it('the same name sent at once from several clients: one template, every other answer a 409 naming it', async () => {
    h = await startTestHerald({ database, workers: false });
    const answers = await Promise.all(
      ['Queue stuck', 'queue STUCK', ' Queue stuck', 'QUEUE stuck', 'queue stuck '].map((name) =>
        h!.api('POST', '/api/v1/incident-templates', { name, title: 't', message: 'm' }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    const others = answers.filter((a) => a.status !== 201);
    expect(others.map((a) => a.status)).toEqual([409, 409, 409, 409]);
    for (const a of others) expect(a.body.details).toEqual({ existingId: created[0]!.body.id });
    expect(await templates()).toHaveLength(1);
  });

  it('bad input gets one clear problem per field and changes nothing', async () => {
    h = await startTestHerald({ database, workers: false });
    const db = await component('Database');
    const good = (
      await h.api('POST', '/api/v1/incident-templates', {
        name: 'Keep',
        title: 'Kept',
        message: 'm',
        components: { [db]: 'major_outage' },
      })
    ).body;
    const before = await templates();

    const bad = await h.api('POST', '/api/v1/incident-templates', {
      name: '',
      message: 'x'.repeat(20_001),
      impact: 'huge',
      status: 'done',
      components: { [db]: 'broken' },
      colour: 'red',
    });
    expect(bad.status).toBe(400);
    const fields = bad.body.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['colour', `components.${db}`, 'impact', 'message', 'name', 'status', 'title'].sort());
    expect(bad.body.details.find((d: { field: string }) => d.field === 'title').problem).toBe('is required');

    const unknown = await h.api('POST', '/api/v1/incident-templates', {
      name: 'Ghost',
      title: 't',
      message: 'm',
      components: { [db]: 'major_outage', nope: 'major_outage' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([{ field: 'components.nope', problem: "no component with id 'nope'" }]);

    const badPatch = await h.api('PATCH', `/api/v1/incident-templates/${good.id}`, {
      title: 'Changed',
      components: { nope: 'major_outage' },
    });
    expect(badPatch.status).toBe(400);
    expect((await h.api('PATCH', `/api/v1/incident-templates/${good.id}`, { title: '   ' })).status).toBe(400);
    expect((await h.api('PATCH', `/api/v1/incident-templates/${good.id}`, [1])).status).toBe(400);
    expect(await templates()).toEqual(before);

    // Without the token: 401, nothing to see.
    const anonymous = await h.app.inject({ method: 'GET', url: '/api/v1/incident-templates' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('opens an incident from a template by id or name, with the request overriding any field', async () => {
    h = await startTestHerald({ database, workers: false });
    const db = await component('Database');
    const api = await component('API');
    const template = (
      await h.api('POST', '/api/v1/incident-templates', {
        name: 'Database outage',
        title: 'Database unavailable',
        message: 'We are looking into database errors.',
        impact: 'major',
        status: 'identified',
        components: { [db]: 'major_outage' },
      })
    ).body;

    const plain = await h.api('POST', '/api/v1/incidents', { template: template.id });
    expect(plain.status).toBe(201);
    expect(plain.body.incident).toMatchObject({ title: 'Database unavailable', impact: 'major', status: 'identified' });
    expect(plain.body.incident.components).toEqual([{ id: db, name: 'Database', status: 'major_outage' }]);
    expect(plain.body.update.message).toBe('We are looking into database errors.');

    const overridden = await h.api('POST', '/api/v1/incidents', {
      template: ' database OUTAGE ',
      title: 'Database slow in eu-west',
      impact: 'minor',
      components: { [api]: 'degraded_performance' },
    });
    expect(overridden.status).toBe(201);
    expect(overridden.body.incident).toMatchObject({
      title: 'Database slow in eu-west',
      impact: 'minor',
      status: 'identified',
    });
    expect(overridden.body.incident.components).toEqual([{ id: api, name: 'API', status: 'degraded_performance' }]);
    expect(overridden.body.update.message).toBe('We are looking into database errors.');

    const incidents = async () => (await h!.api('GET', '/api/v1/incidents?state=all')).body.length;
    const count = await incidents();
    // An unknown template names itself; a bad field is named even with a template; nothing is stored.
    const unknown = await h.api('POST', '/api/v1/incidents', { template: 'No such thing', title: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([
      { field: 'template', problem: expect.stringContaining("no incident template with id or name 'No such thing'") },
    ]);
    const badField = await h.api('POST', '/api/v1/incidents', { template: template.id, impact: 'huge' });
    expect(badField.status).toBe(400);
    expect(badField.body.details.map((d: { field: string }) => d.field)).toEqual(['impact']);
    expect((await h.api('POST', '/api/v1/incidents', { template: '' })).status).toBe(400);
    // Without a template, title and message stay required.
    const bare = await h.api('POST', '/api/v1/incidents', { impact: 'minor' });
    expect(bare.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['message', 'title']);
    expect(await incidents()).toBe(count);
  });

  it('a deleted component is dropped from the templates that named it; the rest of the template stays', async () => {
    h = await startTestHerald({ database, workers: false });
    const db = await component('Database');
    const api = await component('API');
    const template = (
      await h.api('POST', '/api/v1/incident-templates', {
        name: 'Both',
        title: 'Both down',
        message: 'm',
        components: { [db]: 'major_outage', [api]: 'partial_outage' },
      })
    ).body;
    expect((await h.api('DELETE', `/api/v1/components/${db}`)).status).toBe(204);
    const after = (await h.api('GET', `/api/v1/incident-templates/${template.id}`)).body;
    expect(after.components).toEqual([{ id: api, name: 'API', status: 'partial_outage' }]);
    expect(after.title).toBe('Both down');
    const opened = await h.api('POST', '/api/v1/incidents', { template: 'Both' });
    expect(opened.status).toBe(201);
    expect(opened.body.incident.components.map((c: { id: string }) => c.id)).toEqual([api]);
  });
});

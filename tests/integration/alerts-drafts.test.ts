import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDraft } from '../../src/alerts/drafts.js';
import { pagerdutySignature } from '../../src/alerts/signature.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { type TestHerald, deliveredEverywhere, startTestHerald } from '../helpers/herald.js';
import { statuspage } from '../../src/channels/registry.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/alerts');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const ALERT_TOKEN = 'alert-token-abcdef0123456789';
const PD_SECRET = 'pd-secret-current';
const PD_OLD_SECRET = 'pd-secret-old';

const databases = process.env.TEST_POSTGRES_URL === 'skip' ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);

describe.each(databases)('alerts become drafts (%s)', (database) => {
  let h: TestHerald;
  const recorder = recordingChannel('recorder');
  let api: { id: string };
  let checkout: { id: string };

  const post = (source: string, body: string, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${source}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ALERT_TOKEN}`, ...headers },
      payload: body,
    });
  const pd = (body: string, signature = pagerdutySignature(body, PD_SECRET)) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/pagerduty',
      headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature },
      payload: body,
    });
  const counts = async () => {
    const db = h.herald.store.db;
    const drafts = await db.selectFrom('incident_drafts').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const incidents = await db.selectFrom('incidents').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const deliveries = await db.selectFrom('deliveries').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return { drafts: Number(drafts.n), incidents: Number(incidents.n), deliveries: Number(deliveries.n) };
  };

  beforeAll(async () => {
    h = await startTestHerald({
      database,
      channels: [statuspage(), recorder.definition],
      workers: true,
      env: { HERALD_ALERT_TOKEN: ALERT_TOKEN, HERALD_PAGERDUTY_SECRET: `${PD_OLD_SECRET},${PD_SECRET}` },
      alerts: { flapWindowMinutes: 5 },
    });
    api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    checkout = (await h.api('POST', '/api/v1/components', { name: 'Checkout' })).body;
    await h.api('POST', '/api/v1/components', { name: 'Payments' });
  }, 30_000);
  afterAll(async () => h?.close());

  it('a firing Alertmanager group becomes one draft with its components; resends change nothing', async () => {
    const before = await counts();
    const first = await post('alertmanager', fixture('alertmanager-firing.json'));
    expect(first.statusCode).toBe(202);
    const answer = first.json() as { incidentId: string; draft: boolean };
    expect(answer.draft).toBe(true);

    const draft = (await h.api('GET', `/api/v1/incidents/${answer.incidentId}`)).body;
    expect(draft).toMatchObject({
      state: 'draft',
      draft: true,
      title: 'API error rate is high',
      impact: 'major',
      status: 'investigating',
      source: 'alertmanager',
      firing: 2,
      components: [{ id: api.id, name: 'API', status: 'major_outage' }],
      // No HERALD_ALERT_AUTOPUBLISH_MINUTES: no holding statement, ever.
      autoPublishAt: null,
    });
    const updatedAt = draft.updatedAt;

    // Alertmanager resends the group every group_interval / repeat_interval: same body, same draft, no change.
    for (let i = 0; i < 3; i++) {
      const again = await post('alertmanager', fixture('alertmanager-firing.json'));
      expect(again.json()).toEqual(answer);
    }
    expect((await h.api('GET', `/api/v1/incidents/${answer.incidentId}`)).body.updatedAt).toBe(updatedAt);
    const after = await counts();
    expect(after.drafts - before.drafts).toBe(1);
    // A draft is no incident: nothing on the page, nothing delivered.
    expect(after.incidents - before.incidents).toBe(0);
    expect(after.deliveries - before.deliveries).toBe(0);

    const drafts = (await h.api('GET', '/api/v1/incidents?state=draft')).body as Array<{ id: string }>;
    expect(drafts.map((d) => d.id)).toContain(answer.incidentId);
    const published = (await h.api('GET', '/api/v1/incidents')).body as Array<{ id: string }>;
    expect(published.map((i) => i.id)).not.toContain(answer.incidentId);
    // An incident published meanwhile rebuilds the whole page: the draft is still on none of it.
    const other = await h.api('POST', '/api/v1/incidents', { title: 'Unrelated', message: 'Something else.' });
    await deliveredEverywhere(h, other.body.update.id);
    for (const url of ['/api/v2/incidents.json', '/api/v2/summary.json', '/', '/history.rss']) {
      const page = await h.app.inject({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).not.toContain(answer.incidentId);
      expect(page.body, url).not.toContain('API error rate is high');
    }
    expect((await h.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).body).toContain(
      other.body.incident.id,
    );
    expect(recorder.sent.map((s) => s.text).join('\n')).not.toContain('API error rate');

    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('herald_alerts_received_total{source="alertmanager",outcome="created"} 1');
    expect(metrics).toContain('herald_alerts_received_total{source="alertmanager",outcome="unchanged"} 3');
    expect(metrics).toMatch(/herald_alert_to_draft_seconds_count\{source="alertmanager"\} 1/);
  });

  it('all alerts of a never-published draft resolved: the draft dismisses itself; a refire within the window revives it', async () => {
    const groupKey = `{}:{alertname="Resolving-${database}"}`;
    const firing = JSON.parse(fixture('alertmanager-firing.json'));
    firing.groupKey = groupKey;
    const created = (await post('alertmanager', JSON.stringify(firing))).json() as { incidentId: string };

    const resolved = JSON.parse(fixture('alertmanager-resolved.json'));
    resolved.groupKey = groupKey;
    const answer = await post('alertmanager', JSON.stringify(resolved));
    expect(answer.json()).toEqual({ incidentId: created.incidentId, draft: false });
    const draft = (await h.api('GET', `/api/v1/incidents/${created.incidentId}`)).body;
    expect(draft).toMatchObject({ state: 'dismissed', closedBy: 'alerts', firing: 0 });
    expect((await h.api('GET', '/api/v1/incidents?state=draft')).body.map((d: { id: string }) => d.id)).not.toContain(
      created.incidentId,
    );

    // Flapping: the same alert fires again (a later startsAt) within the window: back on its own draft.
    firing.alerts[0].startsAt = new Date(Date.now()).toISOString();
    const refire = (await post('alertmanager', JSON.stringify(firing))).json();
    expect(refire).toEqual({ incidentId: created.incidentId, draft: true });
    expect((await h.api('GET', `/api/v1/incidents/${created.incidentId}`)).body).toMatchObject({ state: 'draft' });
  });

  it('the two Alertmanagers of an HA pair deliver a new group at the same moment: one draft', async () => {
    const before = await counts();
    const body = JSON.parse(fixture('alertmanager-firing.json'));
    body.groupKey = `{}:{alertname="HA-${database}"}`;
    const answers = await Promise.all(Array.from({ length: 4 }, () => post('alertmanager', JSON.stringify(body))));
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 202]);
    expect(new Set(answers.map((a) => a.json().incidentId)).size).toBe(1);
    expect((await counts()).drafts - before.drafts).toBe(1);
  });

  it('Grafana and the generic form: default rule by label, severity warning → partial outage', async () => {
    const grafana = (await post('grafana', fixture('grafana-firing.json'))).json() as { incidentId: string };
    expect((await h.api('GET', `/api/v1/incidents/${grafana.incidentId}`)).body).toMatchObject({
      title: 'Checkout is slow in eu-1',
      message: 'p95 checkout latency above 2 s in eu-1.',
      impact: 'minor',
      components: [{ id: checkout.id, status: 'partial_outage' }],
    });
    const generic = await post('generic', fixture('generic-firing.json'));
    expect(generic.statusCode).toBe(202);
    expect((await h.api('GET', `/api/v1/incidents/${generic.json().incidentId}`)).body).toMatchObject({
      title: 'Sign-in fails from the synthetic check',
      components: [{ id: api.id, status: 'partial_outage' }],
    });
  });

  it('a bad token or signature is 401 and stores nothing; malformed bodies are 400 naming the field', async () => {
    const before = await counts();
    const body = fixture('pagerduty-incident-triggered.json');
    for (const response of [
      await post('alertmanager', fixture('alertmanager-firing.json'), { authorization: 'Bearer wrong' }),
      await post('generic', fixture('generic-firing.json'), { authorization: '' }),
      // The admin token is not the alert token.
      await post('grafana', fixture('grafana-firing.json'), { authorization: 'Bearer test-token-0123456789' }),
      await pd(body, pagerdutySignature(body, 'not-the-secret')),
      await pd(body, ''),
      await pd(body.replace('Card payments failing', 'Card payments fine'), pagerdutySignature(body, PD_SECRET)),
      await post('alertmanager', '{not json', { authorization: 'Bearer wrong' }),
    ]) {
      expect(response.statusCode, response.body).toBe(401);
    }
    expect(await counts()).toEqual(before);

    const noGroup = JSON.parse(fixture('alertmanager-firing.json'));
    delete noGroup.groupKey;
    const missing = await post('alertmanager', JSON.stringify(noGroup));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toContain('groupKey');
    const badStatus = JSON.parse(fixture('alertmanager-firing.json'));
    badStatus.alerts[1].status = 'burning';
    const bad = await post('alertmanager', JSON.stringify(badStatus));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].field).toBe('alerts.1.status');
    const generic = await post('generic', JSON.stringify({ id: 'x', status: 'firing' }));
    expect(generic.statusCode).toBe(400);
    expect(generic.json().message).toContain('title');
    const notJson = await post('generic', '{"id": ');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().message).toContain('(body)');
    expect(await counts()).toEqual(before);
  });

  it('PagerDuty: signed with either secret during a rotation; retries change nothing; resolved dismisses', async () => {
    const body = fixture('pagerduty-incident-triggered.json').replace('Q2NZJ6TGT0RL7B', `Q2NZ${database}`);
    const both = `${pagerdutySignature(body, 'some-other-secret')},${pagerdutySignature(body, PD_OLD_SECRET)}`;
    const first = await pd(body, both);
    expect(first.statusCode).toBe(202);
    const { incidentId } = first.json();
    const draft = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(draft).toMatchObject({ title: 'Card payments failing', impact: 'major', source: 'pagerduty' });
    expect(draft.components.map((c: { name: string }) => c.name)).toEqual(['Payments']);
    const retry = await pd(body);
    expect(retry.json()).toEqual({ incidentId, draft: true });
    expect((await h.api('GET', `/api/v1/incidents/${incidentId}`)).body.updatedAt).toBe(draft.updatedAt);

    const resolved = fixture('pagerduty-incident-resolved.json').replace('Q2NZJ6TGT0RL7B', `Q2NZ${database}`);
    expect((await pd(resolved)).json()).toEqual({ incidentId, draft: false });
    // The retry of the older trigger event arrives late: it does not bring the draft back.
    expect((await pd(body)).json()).toEqual({ incidentId, draft: false });
    expect((await h.api('GET', `/api/v1/incidents/${incidentId}`)).body.state).toBe('dismissed');
  });

  it('publish (edited) goes through the normal path; dismiss is 204, and 409 on a published incident', async () => {
    const body = JSON.parse(fixture('generic-firing.json'));
    body.id = `publish-${database}`;
    const { incidentId } = (await post('generic', JSON.stringify(body))).json();
    const res = await h.api('POST', `/api/v1/incidents/${incidentId}/publish`, {
      message: 'Sign-in is failing for some customers; we are on it.',
    });
    expect(res.status).toBe(201);
    expect(res.body.incident).toMatchObject({ id: incidentId, title: 'Sign-in fails from the synthetic check' });
    expect(res.body.update.message).toBe('Sign-in is failing for some customers; we are on it.');
    const again = await h.api('POST', `/api/v1/incidents/${incidentId}/publish`, {});
    expect(again.status).toBe(409);
    expect((await h.api('DELETE', `/api/v1/incidents/${incidentId}`)).status).toBe(409);
    expect((await h.api('GET', '/api/v1/incidents')).body.map((i: { id: string }) => i.id)).toContain(incidentId);
    await deliveredEverywhere(h, res.body.update.id);
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
      /herald_draft_to_published_seconds_count\{source="generic",by="commander"\} 1/,
    );
    expect((await h.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).body).toContain(incidentId);
    expect(recorder.sent.some((s) => s.text.includes('Sign-in is failing for some customers'))).toBe(true);

    body.id = `dismiss-${database}`;
    const second = (await post('generic', JSON.stringify(body))).json();
    expect((await h.api('DELETE', `/api/v1/incidents/${second.incidentId}`)).status).toBe(204);
    expect((await h.api('GET', `/api/v1/incidents/${second.incidentId}`)).body).toMatchObject({
      state: 'dismissed',
      closedBy: 'commander',
    });
    expect((await h.api('POST', `/api/v1/incidents/${second.incidentId}/publish`, {})).status).toBe(409);
    expect((await h.api('DELETE', '/api/v1/incidents/nope')).status).toBe(404);
    expect((await h.api('POST', '/api/v1/incidents/nope/publish', {})).status).toBe(404);
  });

  it('publish with a template: the body first, then the template, then the draft; an unknown one stores nothing', async () => {
    const body = JSON.parse(fixture('generic-firing.json'));
    body.id = `template-${database}`;
    const { incidentId } = (await post('generic', JSON.stringify(body))).json();
    const template = (
      await h.api('POST', '/api/v1/incident-templates', {
        name: `Checkout down ${database}`,
        title: 'Checkout unavailable',
        message: 'Checkout is failing; we are on it.',
        impact: 'critical',
        components: { [checkout.id]: 'major_outage' },
      })
    ).body;
    const unknown = await h.api('POST', `/api/v1/incidents/${incidentId}/publish`, { template: 'no such template' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([
      {
        field: 'template',
        problem: expect.stringContaining("no incident template with id or name 'no such template'"),
      },
    ]);
    expect((await h.api('GET', `/api/v1/incidents/${incidentId}`)).body.state).toBe('draft');

    const res = await h.api('POST', `/api/v1/incidents/${incidentId}/publish`, {
      template: template.name.toUpperCase(),
      title: 'Checkout errors',
    });
    expect(res.status).toBe(201);
    // Title from the body, message, impact and components from the template, status from the draft.
    expect(res.body.incident).toMatchObject({
      id: incidentId,
      title: 'Checkout errors',
      impact: 'critical',
      status: 'investigating',
    });
    expect(res.body.incident.components).toEqual([{ id: checkout.id, name: 'Checkout', status: 'major_outage' }]);
    expect(res.body.update.message).toBe('Checkout is failing; we are on it.');
  });

  it('a commander and the holding statement publishing one draft at the same moment: one publication', async () => {
    const body = JSON.parse(fixture('generic-firing.json'));
    body.id = `race-${database}`;
    const { incidentId } = (await post('generic', JSON.stringify(body))).json();
    const results = await Promise.allSettled([
      publishDraft(h.herald.publishDeps, incidentId, {}, 'commander'),
      publishDraft(
        h.herald.publishDeps,
        incidentId,
        { message: 'We are investigating reports of problems with API.' },
        'holding',
      ),
      h.api('POST', `/api/v1/incidents/${incidentId}/publish`, {}),
    ]);
    const published = results.filter(
      (r) => r.status === 'fulfilled' && (!('status' in r.value) || r.value.status === 201),
    );
    expect(published).toHaveLength(1);
    for (const r of results.filter((x) => !published.includes(x))) {
      if (r.status === 'rejected') expect((r.reason as Error).name).toBe('StateConflictError');
      else expect((r.value as { status: number }).status).toBe(409);
    }
    expect((await h.api('GET', `/api/v1/incidents/${incidentId}`)).body.updates).toHaveLength(1);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingChannel } from '../helpers/recording-channel.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { addUser, formPost, signIn } from './console-helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/alerts');
const ALERT_TOKEN = 'alert-token-console-0123456789';

describe('drafts in the console', () => {
  let h: TestHerald;
  let session: { cookie: string; csrf: string };
  const recorder = recordingChannel('recorder');
  const alertmanager = (body: object) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/alertmanager',
      headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const firing = (groupKey: string) => ({
    ...JSON.parse(readFileSync(join(FIXTURES, 'alertmanager-firing.json'), 'utf8')),
    groupKey,
  });
  const resolved = (groupKey: string) => ({
    ...JSON.parse(readFileSync(join(FIXTURES, 'alertmanager-resolved.json'), 'utf8')),
    groupKey,
  });

  beforeAll(async () => {
    h = await startTestHerald({
      channels: [recorder.definition],
      workers: false,
      env: { HERALD_ALERT_TOKEN: ALERT_TOKEN, HERALD_ALERT_AUTOPUBLISH_MINUTES: '15' },
      alerts: {
        rules: [
          {
            name: 'checkout',
            match: { alertname: /^Checkout/ },
            components: { Checkout: 'degraded_performance' },
            impact: 'minor',
            title: 'Checkout: {{labels.alertname}}',
            autoResolve: true,
          },
        ],
      },
    });
    await addUser(h, 'ops@example.com', 'commander');
    session = await signIn(h, 'ops@example.com');
    await h.api('POST', '/api/v1/components', { name: 'API' });
    await h.api('POST', '/api/v1/components', { name: 'Checkout' });
  });
  afterAll(async () => h?.close());

  it('the dashboard lists the draft with its countdown; the draft page publishes it edited', async () => {
    const { incidentId } = (await alertmanager(firing('{}:{alertname="console-1"}'))).json();
    const dashboard = await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie: session.cookie } });
    expect(dashboard.body).toContain('Drafts from alerts');
    expect(dashboard.body).toContain(`/console/drafts/${incidentId}`);
    expect(dashboard.body).toMatch(/Holding statement <span data-countdown="[^"]+">in 1[45] min<\/span>/);

    const page = await h.app.inject({
      method: 'GET',
      url: `/console/drafts/${incidentId}`,
      headers: { cookie: session.cookie },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Draft: not public');
    expect(page.body).toContain('2 of 2 alerts firing');
    expect(page.body).toContain('value="API error rate is high"');
    expect(page.body).toContain(`action="/console/drafts/${incidentId}/publish"`);

    const components = (await h.api('GET', '/api/v1/components')).body as Array<{ id: string; name: string }>;
    const api = components.find((c) => c.name === 'API')!;
    const published = await formPost(h, `/console/drafts/${incidentId}/publish`, session.cookie, {
      _csrf: session.csrf,
      title: 'API errors',
      message: 'Some API requests fail; we are investigating.',
      status: 'investigating',
      impact: 'major',
      [`component.${api.id}`]: 'partial_outage',
      channels: 'recorder',
      action: 'publish',
    });
    expect(published.statusCode, published.body).toBe(303);
    expect(published.headers.location).toMatch(/^\/console\/updates\//);
    const incident = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(incident).toMatchObject({ id: incidentId, title: 'API errors', impact: 'major' });
    expect(incident.components).toEqual([{ id: api.id, name: 'API', status: 'partial_outage' }]);

    // All its alerts resolve on the published incident: the dashboard offers the resolution (no auto-resolve here).
    await alertmanager(resolved('{}:{alertname="console-1"}'));
    const after = await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie: session.cookie } });
    expect(after.body).toContain('Alerts resolved');
    expect(after.body).toContain(`/console/incidents/${incidentId}/update?status=resolved`);
    expect((await h.api('GET', `/api/v1/incidents/${incidentId}`)).body.status).toBe('investigating');
  });

  it('publish as is is one click from the dashboard', async () => {
    const { incidentId } = (await alertmanager(firing('{}:{alertname="console-3"}'))).json();
    const dashboard = await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie: session.cookie } });
    expect(dashboard.body).toContain(`action="/console/drafts/${incidentId}/publish"`);
    expect(dashboard.body).toContain('value="publish-as-is"');
    const res = await formPost(h, `/console/drafts/${incidentId}/publish`, session.cookie, {
      _csrf: session.csrf,
      action: 'publish-as-is',
    });
    expect(res.statusCode, res.body).toBe(303);
    const incident = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(incident).toMatchObject({ id: incidentId, title: 'API error rate is high', impact: 'major' });
    expect(incident.updates[0].message).toBe('5xx responses above 20% for 5 minutes on api-1.');
    // Through the one publish path: a delivery row per channel.
    const deliveries = (await h.api('GET', `/api/v1/updates/${incident.updates[0].id}/deliveries`)).body;
    expect(deliveries.channels.map((c: { channel: string }) => c.channel)).toEqual(['recorder']);
  });

  it('dismiss is one click; a viewer can do neither', async () => {
    const { incidentId } = (await alertmanager(firing('{}:{alertname="console-2"}'))).json();
    await addUser(h, 'viewer', 'viewer');
    const viewer = await signIn(h, 'viewer');
    const refused = await formPost(h, `/console/drafts/${incidentId}/dismiss`, viewer.cookie, { _csrf: viewer.csrf });
    expect(refused.statusCode).toBe(403);
    const dismissed = await formPost(h, `/console/drafts/${incidentId}/dismiss`, session.cookie, {
      _csrf: session.csrf,
    });
    expect(dismissed.statusCode).toBe(303);
    expect((await h.api('GET', `/api/v1/incidents/${incidentId}`)).body).toMatchObject({ state: 'dismissed' });
    const dashboard = await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie: session.cookie } });
    expect(dashboard.body).not.toContain(`/console/drafts/${incidentId}`);
  });

  it('a configured rule: its components, templates, no holding statement; autoResolve resolves the published incident', async () => {
    const grafana = JSON.parse(readFileSync(join(FIXTURES, 'grafana-firing.json'), 'utf8'));
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/grafana',
      headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(grafana),
    });
    const { incidentId } = res.json();
    const draft = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(draft).toMatchObject({
      rule: 'checkout',
      title: 'Checkout: Checkout latency',
      impact: 'minor',
      autoPublishAt: null,
      autoResolve: true,
    });
    expect(draft.components.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['Checkout', 'degraded_performance'],
    ]);
    expect((await h.api('POST', `/api/v1/incidents/${incidentId}/publish`, {})).status).toBe(201);
    const cleared = {
      ...grafana,
      status: 'resolved',
      alerts: [{ ...grafana.alerts[0], status: 'resolved', endsAt: new Date().toISOString() }],
    };
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/grafana',
      headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(cleared),
    });
    const incident = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(incident.status).toBe('resolved');
    expect(incident.components[0].status).toBe('operational');
  });

  it('a rule whose holding statement names a channel that is not enabled stops Herald at start', async () => {
    await expect(
      startTestHerald({ channels: [recorder.definition], alerts: { rules: [{ name: 'pager', channels: ['slack'] }] } }),
    ).rejects.toThrow("alerts rule 'pager': channel 'slack' is not enabled; enabled channels: recorder");
  });
});

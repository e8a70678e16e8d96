import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { webhooks } from '../../src/channels/webhooks/index.js';
import { verifyToken } from '../../src/domain/link-tokens.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret } from '../helpers/subscribers.js';

interface Received {
  path: string;
  id: string;
  body: Record<string, any>;
}

/** An endpoint per path, each verifying the Standard Webhooks signature with its subscriber's secret. */
async function endpoint() {
  const secrets = new Map<string, string>();
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (c) => (raw += c));
    request.on('end', () => {
      const path = request.url ?? '';
      try {
        new Webhook(secrets.get(path)!).verify(raw, request.headers as Record<string, string>);
        received.push({ path, id: String(request.headers['webhook-id']), body: JSON.parse(raw) });
        response.statusCode = 204;
      } catch {
        response.statusCode = 401;
      }
      response.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    secrets,
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.each(['sqlite', 'postgres'] as const)('webhook events and the Statuspage format on %s', (database) => {
  let h: TestHerald | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await h?.close();
    await close?.();
    h = undefined;
  });

  it('sends component changes in both formats; a statuspage subscriber gets Statuspage bodies', async () => {
    const rx = await endpoint();
    close = rx.close;
    const secret = randomSecret();
    h = await startTestHerald({
      database,
      channels: [webhooks({ allowPrivate: true, attempts: 3, backoffMs: 100, componentEvents: true })],
      env: { HERALD_SECRET: secret, HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    const apiId = (await h.api('POST', '/api/v1/components', { name: 'Checkout API' })).body.id;
    await h.api('POST', '/api/v1/components', { name: 'Search' });

    const wrongKind = await h.api('POST', '/api/v1/subscribers', { email: 'a@example.test', format: 'statuspage' });
    expect(wrongKind.status).toBe(400);
    expect(JSON.stringify(wrongKind.body)).toMatch(/format.*only a webhook subscriber/);
    const wrongFormat = await h.api('POST', '/api/v1/subscribers', { webhookUrl: rx.url('/x'), format: 'pagerduty' });
    expect(wrongFormat.status).toBe(400);
    expect(JSON.stringify(wrongFormat.body)).toMatch(/format.*'herald'.*'statuspage'/);

    const herald = (await h.api('POST', '/api/v1/subscribers', { webhookUrl: rx.url('/herald'), confirmed: true }))
      .body;
    const sp = (
      await h.api('POST', '/api/v1/subscribers', { webhookUrl: rx.url('/sp'), confirmed: true, format: 'statuspage' })
    ).body;
    expect(herald.format).toBe('herald');
    expect(sp.format).toBe('statuspage');
    rx.secrets.set('/herald', herald.secret);
    rx.secrets.set('/sp', sp.secret);

    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'We’re investigating **errors**.',
      impact: 'major',
      components: { [apiId]: 'major_outage' },
    });
    const incidentId = opened.body.incident.id;
    await eventually(async () => (rx.received.length >= 4 ? true : undefined), 20_000);

    const at = (path: string) => rx.received.filter((r) => r.path === path).map((r) => r.body);
    const [heraldIncident, heraldComponent] = at('/herald');
    expect(heraldIncident).toMatchObject({ type: 'incident.created', data: { incident: { id: incidentId } } });
    expect(heraldComponent).toMatchObject({
      type: 'component.updated',
      data: {
        component: { id: apiId, name: 'Checkout API', status: 'major_outage', previousStatus: 'operational' },
        incident: { id: incidentId, url: `https://status.example.test/incidents/${incidentId}.html` },
      },
    });

    const [spIncident, spComponent] = at('/sp');
    expect(Object.keys(spIncident!).sort()).toEqual(['incident', 'meta', 'page']);
    expect(spIncident).toMatchObject({
      meta: { documentation: expect.stringContaining('statuspage') },
      page: { id: 'status.example.test', status_indicator: 'critical', status_description: 'Major System Outage' },
      incident: {
        id: incidentId,
        name: 'Checkout errors',
        status: 'investigating',
        impact: 'major',
        resolved_at: null,
        shortlink: `https://status.example.test/i/${incidentId.slice(0, 13)}`,
        incident_updates: [
          {
            incident_id: incidentId,
            body: 'We’re investigating **errors**.',
            status: 'investigating',
            affected_components: [
              { code: apiId, name: 'Checkout API', old_status: 'operational', new_status: 'major_outage' },
            ],
          },
        ],
      },
    });
    // meta.unsubscribe is this subscriber's own signed link.
    const token = new URL(spIncident!.meta.unsubscribe).searchParams.get('token');
    expect(verifyToken(secret, 'unsubscribe', token)).toMatchObject({ ok: true, subscriberId: sp.id });
    expect(spComponent).toMatchObject({
      page: { status_indicator: 'critical' },
      component_update: { old_status: 'operational', new_status: 'major_outage', component_id: apiId },
      component: { id: apiId, name: 'Checkout API', status: 'major_outage' },
    });

    // Resolution: the component recovers, and both formats say from what to what.
    await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: 'Fixed.', status: 'resolved' });
    await eventually(async () => (rx.received.length >= 8 ? true : undefined), 20_000);
    const resolvedComponent = at('/sp').at(-1)!;
    expect(resolvedComponent.component_update).toMatchObject({ old_status: 'major_outage', new_status: 'operational' });
    expect(resolvedComponent.page).toMatchObject({
      status_indicator: 'none',
      status_description: 'All Systems Operational',
    });
    expect(at('/sp').at(-2)!.incident).toMatchObject({ status: 'resolved', resolved_at: expect.any(String) });
    expect(at('/herald').at(-1)!.data.component).toMatchObject({
      status: 'operational',
      previousStatus: 'major_outage',
    });
    // Each event its own webhook-id, stable for retries.
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(rx.received.length);
  }, 60_000);
});

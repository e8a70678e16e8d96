import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

describe.each(['sqlite', 'postgres'] as const)('publish through a real Redis on %s', (database) => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('opens an incident through the API and the delivery reaches delivered', async () => {
    const recorder = recordingChannel('recorder');
    h = await startTestHerald({ database, channels: [recorder.definition] });
    const api = await h.api('POST', '/api/v1/components', { name: 'API', group: 'Core' });
    expect(api.status).toBe(201);

    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Checkout errors',
      message: 'We are investigating **elevated errors**.',
      impact: 'major',
      components: { [api.body.id]: 'major_outage' },
    });
    expect(opened.status).toBe(201);
    expect(opened.body.incident).toMatchObject({ title: 'Checkout errors', status: 'investigating', impact: 'major' });
    expect(opened.body.incident.components).toEqual([{ id: api.body.id, name: 'API', status: 'major_outage' }]);

    const updateId = opened.body.update.id;
    const settled = await eventually(async () => {
      const res = await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`);
      return res.body.channels[0].state === 'delivered' ? res.body : undefined;
    });
    expect(settled.channels).toEqual([
      expect.objectContaining({
        channel: 'recorder',
        state: 'delivered',
        total: 1,
        delivered: 1,
        failed: 0,
        pending: 0,
        attempts: 1,
        externalUrl: 'https://example.test/recorder/1',
      }),
    ]);
    expect(recorder.sent).toHaveLength(1);
    expect(recorder.sent[0]!.text).toContain(`https://status.example.test/incidents/${opened.body.incident.id}.html`);

    const components = await h.api('GET', '/api/v1/components');
    expect(components.body[0].status).toBe('major_outage');
  });

  it("updates of one incident sent at once get numbers 1…n, each delivery row its update's number, the incident the last one's state", async () => {
    const a = recordingChannel('a');
    const b = recordingChannel('b');
    h = await startTestHerald({ database, channels: [a.definition, b.definition], workers: false });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Race', message: 'first', impact: 'minor' });
    const incidentId = opened.body.incident.id;
    const statuses = [
      'identified',
      'monitoring',
      'identified',
      'monitoring',
      'identified',
      'monitoring',
      'identified',
      'monitoring',
    ] as const;
    const answers = await Promise.all(
      statuses.map((status, i) =>
        h!.api('POST', `/api/v1/incidents/${incidentId}/updates`, {
          message: `update ${i}`,
          status,
          impact: i === 5 ? 'major' : undefined,
        }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(statuses.map(() => 201));

    const { db } = h.herald.store;
    const updates = await db
      .selectFrom('incident_updates')
      .select(['id', 'number', 'status'])
      .where('incident_id', '=', incidentId)
      .orderBy('number')
      .execute();
    expect(updates.map((u) => Number(u.number))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const deliveries = await db
      .selectFrom('deliveries')
      .select(['update_id', 'update_number', 'channel', 'state'])
      .where('incident_id', '=', incidentId)
      .execute();
    expect(deliveries).toHaveLength(18);
    for (const u of updates) {
      const own = deliveries.filter((d) => d.update_id === u.id);
      expect(own.map((d) => d.channel).sort()).toEqual(['a', 'b']);
      for (const d of own)
        expect({ number: Number(d.update_number), state: d.state }).toEqual({
          number: Number(u.number),
          state: 'pending',
        });
    }
    const incident = await db
      .selectFrom('incidents')
      .select(['status', 'impact'])
      .where('id', '=', incidentId)
      .executeTakeFirstOrThrow();
    expect(incident.status).toBe(updates.at(-1)!.status);
    expect(incident.impact).toBe('major');
  });
});

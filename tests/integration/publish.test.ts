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
      expect.objectContaining({ channel: 'recorder', state: 'delivered', total: 1, delivered: 1, failed: 0, pending: 0, attempts: 1, externalUrl: 'https://example.test/recorder/1' }),
    ]);
    expect(recorder.sent).toHaveLength(1);
    expect(recorder.sent[0]!.text).toContain(`https://status.example.test/incidents/${opened.body.incident.id}.html`);

    const components = await h.api('GET', '/api/v1/components');
    expect(components.body[0].status).toBe('major_outage');
  });
});

import { eventually } from './env.js';
import type { TestHerald } from './herald.js';

/** Publishes open → identified → resolved through the admin API and waits until every delivery is settled. */
export async function publishThreeUpdates(h: TestHerald, channel: string) {
  const opened = await h.api('POST', '/api/v1/incidents', {
    title: 'Checkout errors',
    message: 'We are investigating elevated errors on checkout.',
    impact: 'major',
  });
  if (opened.status !== 201) throw new Error(`open failed: ${opened.status} ${JSON.stringify(opened.body)}`);
  const incidentId: string = opened.body.incident.id;
  const updateIds: string[] = [opened.body.update.id];
  for (const [status, message] of [
    ['identified', 'The cause is a **bad deploy** of the payment gateway; rolling back.'],
    ['resolved', 'Rolled back; checkout works again. Sorry for the trouble 🙏'],
  ] as const) {
    const res = await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, { status, message });
    if (res.status !== 201) throw new Error(`update failed: ${res.status} ${JSON.stringify(res.body)}`);
    updateIds.push(res.body.update.id);
  }
  const deliveries = [];
  for (const id of updateIds) deliveries.push(await waitDelivered(h, id, channel));
  return { incidentId, updateIds, deliveries };
}

export async function waitDelivered(h: TestHerald, updateId: string, channel: string, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const res = await h.api('GET', `/api/v1/updates/${updateId}/deliveries`);
      const row = (
        res.body.channels as Array<{ channel: string; state: string; externalUrl?: string; error?: string }>
      ).find((c) => c.channel === channel);
      if (row?.state === 'failed') throw new Error(`delivery failed: ${row.error}`);
      return row?.state === 'delivered' ? row : undefined;
    },
    timeoutMs,
    50,
  );
}

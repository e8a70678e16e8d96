// bench/alerts: from an alert POST to the holding statement posted on every configured channel, with
// HERALD_ALERT_AUTOPUBLISH_MINUTES=0 (the default rule publishes a holding statement at once), against the chat
// channels' zero-latency protocol fakes (Slack ×2, Teams, Discord, Mattermost, Discourse); beside raw BullMQ
// add→complete measured in the same run on the same Redis.
//   node --import tsx bench/alerts.ts          Knobs: BENCH_ALERTS (default 100)
// Herald runs as `herald serve` (API and workers in one process, SQLite) from bin/herald.mjs, as bench/chat does.
// Each alert is a new group (generic form, its own id): alert → draft → holding-statement job → publish → one
// delivery job per channel → posted. One alert at a time; the next waits until every delivery is recorded.
import { preciseNow } from '../tests/fakes/clock.js';
import { startChatFleet } from '../tests/helpers/chat-fleet.js';
import { REDIS_URL } from '../tests/helpers/env.js';
import { heraldApi, startProviderBenchServe } from './lib/herald-process.js';
import { chatFleetProbes, postsBeyond } from './lib/posted-latency.js';
import { measureRawBullmq } from './lib/raw-bullmq.js';
import { median, percentile, printTable, sleep } from './lib/stats.js';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 100);
const ALERT_TOKEN = 'bench-alert-token-0123456789';
// Before Herald starts and after it stops, pooled (as bench/chat): the baseline never shares the machine with it.
const rawOptions = { paced: ALERTS, paceMs: 10, burst: 0, inFlight: 1, concurrency: 1 };
const rawBefore = await measureRawBullmq(REDIS_URL, rawOptions);
const fleet = await startChatFleet();
const herald = await startProviderBenchServe('alerts', fleet.settings, {
  HERALD_ALERT_TOKEN: ALERT_TOKEN,
  HERALD_ALERT_AUTOPUBLISH_MINUTES: '0',
});
const { api } = herald;
const alertApi = heraldApi(herald.base, ALERT_TOKEN);

const { accepted, probes } = chatFleetProbes(fleet);

await api('POST', '/api/v1/components', { name: 'Checkout API' });
const answered: number[] = [];
const posted: number[] = [];
const perChannel = new Map<string, number[]>(probes.map((p) => [p.channel, []]));
for (let i = 0; i < ALERTS; i++) {
  const before = probes.map((p) => p.count());
  const started = preciseNow();
  const res = await alertApi<{ incidentId: string; draft: boolean }>('POST', '/api/v1/alerts/generic', {
    id: `bench-${i}`,
    status: 'firing',
    title: `Checkout errors ${i}`,
    component: 'Checkout API',
    severity: 'critical',
  });
  answered.push(preciseNow() - started);
  if (res.status !== 202) throw new Error(`alert refused: ${res.status} ${JSON.stringify(res.body)}`);
  await postsBeyond(accepted, probes, before, 30_000);
  probes.forEach((p, k) => perChannel.get(p.channel)!.push(p.acceptedAt(before[k]!) - started));
  posted.push(Math.max(...probes.map((p, k) => p.acceptedAt(before[k]!) - started)));
  // Every delivery recorded before the next alert, so no alert's jobs wait behind another's.
  const incident = (await api('GET', `/api/v1/incidents/${res.body.incidentId}`)).body;
  for (;;) {
    const channels = (await api('GET', `/api/v1/updates/${incident.updates[0].id}/deliveries`)).body.channels as Array<{
      state: string;
    }>;
    if (channels.every((c) => c.state === 'delivered')) break;
    await sleep(2);
  }
}
await herald.stop();
await fleet.close();
const rawAfter = await measureRawBullmq(REDIS_URL, rawOptions);
const raw = [...rawBefore.latencies, ...rawAfter.latencies];
const rawP50 = median(raw);
const row = (path: string, values: number[]) => ({
  path,
  n: values.length,
  p50_ms: median(values),
  p99_ms: percentile(values, 99),
  max_ms: Math.max(...values),
  'p50 / raw p50': median(values) / rawP50,
});
console.log(`\nAlert POST → holding statement (autopublish 0), ${ALERTS} alerts, one at a time:`);
printTable([
  row('raw BullMQ add→complete', raw),
  row('alert POST answered 202 (draft stored)', answered),
  ...probes.map((p) => row(`alert→posted ${p.channel}`, perChannel.get(p.channel)!)),
  row('alert→posted on all 6', posted),
]);
process.exit(0);

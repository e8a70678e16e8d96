// bench/chat: publish-to-posted latency on the chat channels (Slack ×2, Teams, Discord, Mattermost, Discourse)
// over 100 updates against zero-latency protocol fakes, beside raw BullMQ add→complete in the same run.
//   node --import tsx bench/chat.ts          Knobs: BENCH_UPDATES (default 100)
// Herald runs as in production: `herald serve` (API and workers in one process, SQLite) from bin/herald.mjs, with
// bench/lib/providers.config.ts pointing the six channels at the fakes (provider rate limits lifted: the fakes
// have none). The fakes stand in for the providers and run here, in the bench process, with the client that
// drives the API over HTTP, so their work is not charged to Herald's event loop.
// Updates go one at a time (25 incidents × open/identified/monitoring/resolved), each timed until the fake
// accepted the post; the next waits until every delivery is recorded, so no threaded job waits on its predecessor.
// Two rounds: each update to all six channels (the six jobs share Herald's event loop, so the last post waits for
// the other five channels' work), then each channel alone (the same updates sent to that channel only).
import { startChatFleet } from '../tests/helpers/chat-fleet.js';
import { REDIS_URL } from '../tests/helpers/env.js';
import { startProviderBenchServe } from './lib/herald-process.js';
import { measureRawBullmq, measureRawFanout } from './lib/raw-bullmq.js';
import { chatFleetProbes, timeEachChannelAlone, timeUpdate } from './lib/posted-latency.js';
import { median, percentile, printTable } from './lib/stats.js';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 100);
// The baseline is measured before Herald starts and again after it stops, and pooled (see bench/social.ts).
const rawOptions = { paced: UPDATES, paceMs: 10, burst: 0, inFlight: 1, concurrency: 1 };
const rawBefore = await measureRawBullmq(REDIS_URL, rawOptions);
const fanoutOptions = { queues: 6, paced: UPDATES, paceMs: 10 };
const fanoutBefore = await measureRawFanout(REDIS_URL, fanoutOptions);
const fleet = await startChatFleet();
const herald = await startProviderBenchServe('chat', fleet.settings);
const { api } = herald;

const { accepted, probes } = chatFleetProbes(fleet);

const component = await api('POST', '/api/v1/components', { name: 'Checkout API' });
const STEPS = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
let incidentId = '';
/** Update `i` of 25 incidents × open/identified/monitoring/resolved, to `channels` (all of them when omitted). */
async function publish(i: number, channels?: string[]) {
  const step = STEPS[i % STEPS.length]!;
  const res =
    step === 'investigating'
      ? await api('POST', '/api/v1/incidents', {
          title: `Bench incident ${i}`,
          message: `Investigating elevated errors (${i}).`,
          impact: 'major',
          components: { [component.body.id]: 'major_outage' },
          channels,
        })
      : await api('POST', `/api/v1/incidents/${incidentId}/updates`, {
          message: `Update ${i}: ${step}.`,
          status: step,
          channels,
        });
  if (res.status === 201) incidentId = res.body.incident.id;
  return res;
}

const latencies = new Map<string, number[]>(probes.map((p) => [p.channel, []]));
const allPosted: number[] = [];
const recorded: number[] = [];
const answered: number[] = [];
const cpuAtStart = herald.cpuMs();
for (let i = 0; i < UPDATES; i++) {
  const { timing } = await timeUpdate(api, accepted, probes, () => publish(i));
  answered.push(timing.answeredMs);
  probes.forEach((p, k) => latencies.get(p.channel)!.push(timing.postedMs[k]!));
  allPosted.push(Math.max(...timing.postedMs));
  recorded.push(timing.recordedMs);
}
const cpuPerUpdate = (herald.cpuMs() - cpuAtStart) / UPDATES;
const alone = await timeEachChannelAlone(api, accepted, probes, UPDATES, publish);
await herald.stop();
await fleet.close();
// Before Herald started and after it stopped, on the same Redis: the baseline does not share the machine with it.
const rawAfter = await measureRawBullmq(REDIS_URL, rawOptions);
const rawFanout = [...fanoutBefore, ...(await measureRawFanout(REDIS_URL, fanoutOptions))];
const raw = { latencies: [...rawBefore.latencies, ...rawAfter.latencies] };
const rawP50 = median(raw.latencies);
console.log(
  `raw BullMQ p50: ${median(rawBefore.latencies).toFixed(2)} ms before Herald ran, ${median(rawAfter.latencies).toFixed(2)} ms after; pooled ${rawP50.toFixed(2)} ms`,
);
const row = (what: string, values: number[]) => ({
  path: what,
  n: values.length,
  p50_ms: median(values),
  p99_ms: percentile(values, 99),
  max_ms: Math.max(...values),
  'p50 / raw p50': median(values) / rawP50,
});
console.log(`\nEach update to all 6 channels (${UPDATES} updates):`);
printTable([
  row('raw BullMQ add→complete', raw.latencies),
  row('raw BullMQ, a job to each of 6 queues → all complete', rawFanout),
  row('publish API answered (DB commit + 6 enqueues)', answered),
  ...probes.map((p) => row(`publish→posted ${p.channel}`, latencies.get(p.channel)!)),
  row('publish→posted on all 6', allPosted),
  row('publish→all 6 recorded delivered', recorded),
]);
console.log(
  `Herald's CPU per update (user + system, all its threads; includes answering the bench's polls for the records): ${cpuPerUpdate.toFixed(1)} ms`,
);
console.log(`\nEach channel alone (${UPDATES} updates to that channel only, one channel after another):`);
printTable([
  row('raw BullMQ add→complete', raw.latencies),
  ...probes.map((p) => row(`publish→posted ${p.channel}`, alone.get(p.channel)!)),
]);

const verdict = (what: string, values: number[]) => {
  const ratio = median(values) / rawP50;
  console.log(
    `p50 publish→posted ${what}: ${median(values).toFixed(1)} ms vs raw BullMQ ${rawP50.toFixed(1)} ms, ${ratio.toFixed(2)}× (target ≤ 3×) ${ratio <= 3 ? 'MET' : 'NOT MET'}`,
  );
};
console.log('');
verdict('on all 6, each update to all 6', allPosted);
for (const p of probes) verdict(`${p.channel} alone`, alone.get(p.channel)!);
console.log(
  `\nFor context (not the target's baseline): publish→posted on all 6 is ${(median(allPosted) / median(rawFanout)).toFixed(2)}× what BullMQ alone takes to fan a job out to 6 queues and complete them all (p50 ${median(rawFanout).toFixed(1)} ms).`,
);
process.exit(0);

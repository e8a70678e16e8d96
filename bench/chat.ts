// bench/chat: publish-to-posted latency on the chat channels (Slack ×2, Teams, Discord, Mattermost, Discourse)
// over 100 updates against zero-latency protocol fakes, beside raw BullMQ add→complete in the same run.
//   node --import tsx bench/chat.ts          Knobs: BENCH_UPDATES (default 100)
// Herald runs as in production: `herald serve` (API and workers in one process, SQLite) from bin/herald.mjs, with
// bench/lib/providers.config.ts pointing the six channels at the fakes (provider rate limits lifted: the fakes
// have none). The fakes stand in for the providers and run here, in the bench process, with the client that
// drives the API over HTTP, so their work is not charged to Herald's event loop.
// Updates go one at a time (25 incidents × open/identified/monitoring/resolved), each timed until the fake
// accepted the post; the next waits until every delivery is recorded, so no threaded job waits on its predecessor.
import { EventEmitter } from 'node:events';
import { preciseNow } from '../tests/fakes/clock.js';
import { startChatFleet } from '../tests/helpers/chat-fleet.js';
import { REDIS_URL } from '../tests/helpers/env.js';
import { startProviderBenchServe } from './lib/herald-process.js';
import { measureRawBullmq } from './lib/raw-bullmq.js';
import { median, percentile, printTable, sleep } from './lib/stats.js';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 100);
// The baseline is measured before Herald starts and again after it stops, and pooled (see bench/social.ts).
const rawOptions = { paced: UPDATES, paceMs: 10, burst: 0, inFlight: 1, concurrency: 1 };
const rawBefore = await measureRawBullmq(REDIS_URL, rawOptions);
const fleet = await startChatFleet();
const herald = await startProviderBenchServe('chat', fleet.settings);
const { api } = herald;

type Probe = { name: string; list: unknown[]; at(i: number): number };
const probes: Probe[] = [
  { name: 'slack', list: fleet.slack.messages, at: (i) => fleet.slack.messages[i]!.postedAt },
  { name: 'slack-community', list: fleet.slackCommunity.messages, at: (i) => fleet.slackCommunity.messages[i]!.postedAt },
  { name: 'teams', list: fleet.teams.cards, at: (i) => fleet.teams.cards[i]!.at },
  { name: 'discord', list: fleet.discord.messages, at: (i) => fleet.discord.messages[i]!.at },
  { name: 'mattermost', list: fleet.mattermost.posts, at: (i) => fleet.mattermost.posts[i]!.at },
  { name: 'discourse', list: fleet.discourse.posts, at: (i) => fleet.discourse.posts[i]!.createdAt },
];
// Each fake keeps what it accepted in an array: its push wakes the wait below. Event-driven, as the raw baseline's
// 'completed' listener is; a timer polling every millisecond would take CPU from Herald on this 2-core machine.
const accepted = new EventEmitter();
for (const probe of probes) {
  const push = probe.list.push.bind(probe.list);
  probe.list.push = (...items: unknown[]) => {
    const length = push(...items);
    accepted.emit('post');
    return length;
  };
}
function allBeyond(before: number[]): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (probes.some((p, k) => p.list.length <= before[k]!)) return;
      accepted.off('post', check);
      resolve();
    };
    accepted.on('post', check);
    check();
  });
}

const latencies = new Map<string, number[]>(probes.map((p) => [p.name, []]));
const allPosted: number[] = [];
const recorded: number[] = [];
const answered: number[] = [];

const component = await api('POST', '/api/v1/components', { name: 'Checkout API' });
const STEPS = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
let incidentId = '';
const cpuAtStart = herald.cpuMs();
for (let i = 0; i < UPDATES; i++) {
  const step = STEPS[i % STEPS.length]!;
  const before = probes.map((p) => p.list.length);
  const started = preciseNow();
  const res =
    step === 'investigating'
      ? await api('POST', '/api/v1/incidents', { title: `Bench incident ${i}`, message: `Investigating elevated errors (${i}).`, impact: 'major', components: { [component.body.id]: 'major_outage' } })
      : await api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: `Update ${i}: ${step}.`, status: step });
  answered.push(preciseNow() - started);
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (step === 'investigating') incidentId = res.body.incident.id;
  await allBeyond(before);
  const times = probes.map((p, k) => p.at(before[k]!) - started);
  probes.forEach((p, k) => latencies.get(p.name)!.push(times[k]!));
  allPosted.push(Math.max(...times));
  // Wait for the records too, so the next update of the incident finds its predecessor settled.
  for (;;) {
    const d = await api('GET', `/api/v1/updates/${res.body.update.id}/deliveries`);
    if (d.body.channels.every((c: { state: string }) => c.state === 'delivered')) break;
    if (d.body.channels.some((c: { state: string }) => c.state === 'failed')) throw new Error(`delivery failed: ${JSON.stringify(d.body.channels)}`);
    await sleep(1);
  }
  recorded.push(preciseNow() - started);
}

const cpuPerUpdate = (herald.cpuMs() - cpuAtStart) / UPDATES;
await herald.stop();
await fleet.close();
// Before Herald started and after it stopped, on the same Redis: the baseline does not share the machine with it.
const rawAfter = await measureRawBullmq(REDIS_URL, rawOptions);
const raw = { latencies: [...rawBefore.latencies, ...rawAfter.latencies] };
const rawP50 = median(raw.latencies);
console.log(`raw BullMQ p50: ${median(rawBefore.latencies).toFixed(2)} ms before Herald ran, ${median(rawAfter.latencies).toFixed(2)} ms after; pooled ${rawP50.toFixed(2)} ms`);
const row = (what: string, values: number[]) => ({ path: what, n: values.length, p50_ms: median(values), p99_ms: percentile(values, 99), max_ms: Math.max(...values), 'p50 / raw p50': median(values) / rawP50 });
printTable([
  row('raw BullMQ add→complete', raw.latencies),
  row('publish API answered (DB commit + 6 enqueues)', answered),
  ...probes.map((p) => row(`publish→posted ${p.name}`, latencies.get(p.name)!)),
  row('publish→posted on all 6', allPosted),
  row('publish→all 6 recorded delivered', recorded),
]);
console.log(`Herald's CPU per update (user + system, all its threads; includes answering the bench's polls for the records): ${cpuPerUpdate.toFixed(1)} ms`);
const ratio = median(allPosted) / rawP50;
console.log(`\np50 publish→posted (all 6 channels) ${median(allPosted).toFixed(1)} ms vs raw BullMQ ${rawP50.toFixed(1)} ms: ${ratio.toFixed(2)}× (target ≤ 3×) ${ratio <= 3 ? 'MET' : 'NOT MET'}`);
process.exit(0);

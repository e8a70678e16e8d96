// Publish-to-posted latency of the social channels (X, Mastodon, Bluesky) against zero-latency local protocol
// fakes, beside raw BullMQ add → complete on the same Redis.
//   node --import tsx bench/social.ts [updates=100]
// Herald runs as in production: `herald serve` (API and workers in one process, SQLite) from bin/herald.mjs,
// with bench/lib/providers.config.ts pointing the three channels at the fakes. The fakes stand in for the
// providers and run here, in the bench process, with the client that drives the API over HTTP: their work (OAuth
// signature checks, length validation, record hashing) is not charged to Herald's event loop.
// Updates go one at a time, 10 per incident (so threading is exercised); each is timed from the POST until the
// fake accepted the post, and the next waits until all three deliveries are recorded. Two rounds: each update to
// all three channels, then each channel alone (the same updates sent to that channel only).
import { EventEmitter } from 'node:events';
import { REDIS_URL } from '../tests/helpers/env.js';
import { SOCIAL_KINDS, type SocialSetup, socialSetup } from '../tests/helpers/social-channels.js';
import { startProviderBenchServe } from './lib/herald-process.js';
import { type PostProbe, timeEachChannelAlone, timeUpdate } from './lib/posted-latency.js';
import type { BenchChannel } from './lib/providers.config.js';
import { measureRawBullmq, measureRawFanout } from './lib/raw-bullmq.js';
import { median, percentile, printTable } from './lib/stats.js';

const N = Number(process.argv[2] ?? 100);
const PER_INCIDENT = 10;
const WARM_UP = 3;

/** The channel options `herald serve` gets for a fake, from the env variables the fake's setup lists. */
function benchChannel(setup: SocialSetup): BenchChannel {
  const e = setup.env;
  if (setup.kind === 'twitter') {
    return {
      kind: 'twitter',
      options: {
        appKey: e.TWITTER_APP_KEY,
        appSecret: e.TWITTER_APP_SECRET,
        accessToken: e.TWITTER_ACCESS_TOKEN,
        accessSecret: e.TWITTER_ACCESS_SECRET,
        apiUrl: e.TWITTER_API_URL,
      },
    };
  }
  if (setup.kind === 'mastodon') return { kind: 'mastodon', options: { url: e.MASTODON_URL, token: e.MASTODON_TOKEN } };
  return {
    kind: 'bluesky',
    options: { service: e.BLUESKY_SERVICE, identifier: e.BLUESKY_IDENTIFIER, appPassword: e.BLUESKY_APP_PASSWORD },
  };
}

// The baseline is measured before Herald starts and again after it stops, and pooled: the machine's speed drifts
// over a run, and one side alone moved the ratio by up to a third between runs minutes apart.
const rawOptions = { paced: N, paceMs: 10, burst: 0, inFlight: 1, concurrency: 1 };
const rawBefore = await measureRawBullmq(REDIS_URL, rawOptions);
const fanoutOptions = { queues: 3, paced: N, paceMs: 10 };
const fanoutBefore = await measureRawFanout(REDIS_URL, fanoutOptions);
const setups = await Promise.all(SOCIAL_KINDS.map((kind) => socialSetup(kind, { timeoutMs: 5_000 })));
const herald = await startProviderBenchServe('social', setups.map(benchChannel));
const { api } = herald;

// The fakes emit 'accepted' for each post they take: forwarded as one stream for the timing loop.
const accepted = new EventEmitter();
for (const { fake } of setups) fake.on('accepted', () => accepted.emit('post'));
const probes: PostProbe[] = setups.map(({ kind, fake }) => ({
  channel: kind,
  count: () => fake.posts.length,
  acceptedAt: (i) => fake.posts[i]!.at,
}));

let incidentId = '';
/** Update `i` of incidents of PER_INCIDENT updates each, to `channels` (all of them when omitted). */
async function publish(i: number, channels?: string[]) {
  const res =
    i % PER_INCIDENT === 0
      ? await api('POST', '/api/v1/incidents', {
          title: `Bench incident ${i}`,
          message: `Update ${i}: investigating.`,
          channels,
        })
      : await api('POST', `/api/v1/incidents/${incidentId}/updates`, {
          message: `Update ${i}: still on it.`,
          status: 'identified',
          channels,
        });
  if (res.status === 201) incidentId = res.body.incident.id;
  return res;
}

const perChannel = new Map<string, number[]>(SOCIAL_KINDS.map((k) => [k, []]));
const posted: number[] = [];
const recorded: number[] = [];
const answered: number[] = [];
let cpuAtStart = 0;
for (let i = 0; i < N + WARM_UP; i++) {
  if (i === WARM_UP) cpuAtStart = herald.cpuMs(); // the warm-up's CPU is not counted
  const { timing } = await timeUpdate(api, accepted, probes, () => publish(i));
  if (i < WARM_UP) continue;
  answered.push(timing.answeredMs);
  probes.forEach((p, k) => perChannel.get(p.channel)!.push(timing.postedMs[k]!));
  posted.push(Math.max(...timing.postedMs));
  recorded.push(timing.recordedMs);
}
const cpuPerUpdate = (herald.cpuMs() - cpuAtStart) / N;
const alone = await timeEachChannelAlone(api, accepted, probes, N, publish);
await herald.stop();
await Promise.all(setups.map((s) => s.fake.close()));

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
  'p50 / raw p50': median(values) / rawP50,
});
console.log(
  `\nbench/social — ${N} updates one at a time, zero-latency fakes in the bench process, herald serve (SQLite) in its own, Redis ${REDIS_URL}\n`,
);
console.log('Each update to all 3 channels:');
printTable([
  row('raw BullMQ add→complete', raw.latencies),
  row('raw BullMQ, a job to each of 3 queues → all complete', rawFanout),
  row('publish API answered (commit + 3 enqueues)', answered),
  ...SOCIAL_KINDS.map((k) => row(`publish→posted ${k}`, perChannel.get(k)!)),
  row('publish→posted on all 3', posted),
  row('publish→all 3 recorded delivered', recorded),
]);
console.log(
  `Herald's CPU per update (user + system, all its threads; includes answering the bench's polls for the records): ${cpuPerUpdate.toFixed(1)} ms`,
);
console.log(`\nEach channel alone (${N} updates to that channel only, one channel after another):`);
printTable([
  row('raw BullMQ add→complete', raw.latencies),
  ...SOCIAL_KINDS.map((k) => row(`publish→posted ${k}`, alone.get(k)!)),
]);
console.log('');
for (const [round, latencies] of [
  ['each update to all 3', perChannel],
  ['alone', alone],
] as const) {
  for (const k of SOCIAL_KINDS) {
    const ratio = median(latencies.get(k)!) / rawP50;
    console.log(
      `${k}, ${round}: p50 publish→posted ${median(latencies.get(k)!).toFixed(1)} ms, ${ratio.toFixed(2)}× raw BullMQ (target ≤ 3×) ${ratio <= 3 ? 'MET' : 'NOT MET'}`,
    );
  }
}
console.log(
  `\nFor context (not the target's baseline): publish→posted on all 3 is ${(median(posted) / median(rawFanout)).toFixed(2)}× what BullMQ alone takes to fan a job out to 3 queues and complete them all (p50 ${median(rawFanout).toFixed(1)} ms).`,
);
process.exit(0);

// Publish-to-posted latency of the social channels (X, Mastodon, Bluesky) against zero-latency local protocol
// fakes, beside raw BullMQ add → complete on the same Redis.
//   node --import tsx bench/social.ts [updates=100]
// Herald runs as in production: `herald serve` (API and workers in one process, SQLite) from bin/herald.mjs,
// with bench/lib/providers.config.ts pointing the three channels at the fakes. The fakes stand in for the
// providers and run here, in the bench process, with the client that drives the API over HTTP: their work (OAuth
// signature checks, length validation, record hashing) is not charged to Herald's event loop.
// Updates go one at a time, 10 per incident (so threading is exercised); each is timed from the POST until the
// fake accepted the post, and the next waits until all three deliveries are recorded.
import { preciseNow } from '../tests/fakes/clock.js';
import { REDIS_URL } from '../tests/helpers/env.js';
import { SOCIAL_KINDS, type SocialSetup, socialSetup } from '../tests/helpers/social-channels.js';
import { startProviderBenchServe, until } from './lib/herald-process.js';
import type { BenchChannel } from './lib/providers.config.js';
import { measureRawBullmq } from './lib/raw-bullmq.js';
import { median, percentile, printTable } from './lib/stats.js';

const N = Number(process.argv[2] ?? 100);
const PER_INCIDENT = 10;
const WARM_UP = 3;

/** The channel options `herald serve` gets for a fake, from the env variables the fake's setup lists. */
function benchChannel(setup: SocialSetup): BenchChannel {
  const e = setup.env;
  if (setup.kind === 'twitter') {
    return { kind: 'twitter', options: { appKey: e.TWITTER_APP_KEY, appSecret: e.TWITTER_APP_SECRET, accessToken: e.TWITTER_ACCESS_TOKEN, accessSecret: e.TWITTER_ACCESS_SECRET, apiUrl: e.TWITTER_API_URL } };
  }
  if (setup.kind === 'mastodon') return { kind: 'mastodon', options: { url: e.MASTODON_URL, token: e.MASTODON_TOKEN } };
  return { kind: 'bluesky', options: { service: e.BLUESKY_SERVICE, identifier: e.BLUESKY_IDENTIFIER, appPassword: e.BLUESKY_APP_PASSWORD } };
}

// The baseline is measured before Herald starts and again after it stops, and pooled: the machine's speed drifts
// over a run, and one side alone moved the ratio by up to a third between runs minutes apart.
const rawOptions = { paced: N, paceMs: 10, burst: 0, inFlight: 1, concurrency: 1 };
const rawBefore = await measureRawBullmq(REDIS_URL, rawOptions);
const setups = await Promise.all(SOCIAL_KINDS.map((kind) => socialSetup(kind, { timeoutMs: 5_000 })));
const herald = await startProviderBenchServe('social', setups.map(benchChannel));
const { api } = herald;

async function allDelivered(updateId: string): Promise<boolean> {
  const { body } = await api<{ channels: Array<{ state: string; error?: string }> }>('GET', `/api/v1/updates/${updateId}/deliveries`);
  const failed = body.channels.find((c) => c.state === 'failed');
  if (failed) throw new Error(`delivery failed: ${failed.error}`);
  return body.channels.length === SOCIAL_KINDS.length && body.channels.every((c) => c.state === 'delivered');
}

/**
 * Resolves once the fake has accepted more than `count` posts. Event-driven, as the raw baseline's 'completed'
 * listener is: a timer polling every millisecond would take CPU from Herald on this 2-core machine while it is
 * being measured.
 */
function postBeyond(fake: SocialSetup['fake'], count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (fake.posts.length <= count) return;
      fake.off('accepted', check);
      resolve();
    };
    fake.on('accepted', check);
    check();
  });
}

const perChannel = new Map<string, number[]>(SOCIAL_KINDS.map((k) => [k, []]));
const posted: number[] = [];
const recorded: number[] = [];
const answered: number[] = [];
let incidentId = '';
let cpuAtStart = 0;
for (let i = 0; i < N + WARM_UP; i++) {
  if (i === WARM_UP) cpuAtStart = herald.cpuMs(); // the warm-up's CPU is not counted
  const before = setups.map((s) => s.fake.posts.length);
  const started = preciseNow();
  const res =
    i % PER_INCIDENT === 0
      ? await api('POST', '/api/v1/incidents', { title: `Bench incident ${i}`, message: `Update ${i}: investigating.` })
      : await api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: `Update ${i}: still on it.`, status: 'identified' });
  const answer = preciseNow() - started;
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${JSON.stringify(res.body)}`);
  incidentId = res.body.incident.id;
  await Promise.all(setups.map((s, k) => postBeyond(s.fake, before[k]!)));
  const times = setups.map((s, k) => s.fake.posts[before[k]!]!.at - started);
  // Wait for the records too, so the next update of the incident finds its predecessor settled.
  await until(() => allDelivered(res.body.update.id), 30_000, `update ${i} recorded`, 2);
  if (i < WARM_UP) continue;
  answered.push(answer);
  setups.forEach((s, k) => perChannel.get(s.kind)!.push(times[k]!));
  posted.push(Math.max(...times));
  recorded.push(preciseNow() - started);
}
const cpuPerUpdate = (herald.cpuMs() - cpuAtStart) / N;
await herald.stop();
await Promise.all(setups.map((s) => s.fake.close()));

const rawAfter = await measureRawBullmq(REDIS_URL, rawOptions);
const raw = { latencies: [...rawBefore.latencies, ...rawAfter.latencies] };
const rawP50 = median(raw.latencies);
console.log(`raw BullMQ p50: ${median(rawBefore.latencies).toFixed(2)} ms before Herald ran, ${median(rawAfter.latencies).toFixed(2)} ms after; pooled ${rawP50.toFixed(2)} ms`);
const row = (what: string, values: number[]) => ({ path: what, n: values.length, p50_ms: median(values), p99_ms: percentile(values, 99), 'p50 / raw p50': median(values) / rawP50 });
console.log(`\nbench/social — ${N} updates one at a time, zero-latency fakes in the bench process, herald serve (SQLite) in its own, Redis ${REDIS_URL}\n`);
printTable([
  row('raw BullMQ add→complete', raw.latencies),
  row('publish API answered (commit + 3 enqueues)', answered),
  ...SOCIAL_KINDS.map((k) => row(`publish→posted ${k}`, perChannel.get(k)!)),
  row('publish→posted on all 3', posted),
  row('publish→all 3 recorded delivered', recorded),
]);
console.log(`Herald's CPU per update (user + system, all its threads; includes answering the bench's polls for the records): ${cpuPerUpdate.toFixed(1)} ms`);
for (const k of SOCIAL_KINDS) {
  const ratio = median(perChannel.get(k)!) / rawP50;
  console.log(`${k}: p50 publish→posted ${median(perChannel.get(k)!).toFixed(1)} ms, ${ratio.toFixed(2)}× raw BullMQ (target ≤ 3×) ${ratio <= 3 ? 'MET' : 'NOT MET'}`);
}
process.exit(0);

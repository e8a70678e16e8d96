// The timing loop bench/social and bench/chat share: one update at a time through Herald's API, timed from the
// request until each provider fake accepted its post, then until every delivery is recorded.
import { EventEmitter } from 'node:events';
import { preciseNow } from '../../tests/fakes/clock.js';
import type { ChatFleet } from '../../tests/helpers/chat-fleet.js';
import type { ApiAnswer } from './herald-process.js';
import { sleep } from './stats.js';

/** A provider fake as the benches watch it: the posts it accepted, in order, each with when it accepted it. */
export interface PostProbe {
  /** The Herald channel that posts to this fake. */
  channel: string;
  count(): number;
  /** When post `index` was accepted (`preciseNow()` clock). */
  acceptedAt(index: number): number;
}

/**
 * Resolves once each probe holds more posts than `before` says. Woken by `accepted` ('post' events), as the raw
 * baseline is by its 'completed' listener: a timer polling every millisecond would take CPU from Herald on a
 * 2-core machine while it is being measured.
 */
export function postsBeyond(
  accepted: EventEmitter,
  probes: PostProbe[],
  before: number[],
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          accepted.off('post', check);
          reject(new Error(`not every channel posted within ${timeoutMs} ms`));
        }, timeoutMs)
      : undefined;
    const check = () => {
      if (probes.some((p, k) => p.count() <= before[k]!)) return;
      accepted.off('post', check);
      clearTimeout(timer);
      resolve();
    };
    accepted.on('post', check);
    check();
  });
}

/**
 * The six chat fakes as probes: each fake keeps what it accepted in an array, and its push is wrapped to emit
 * 'post' on `accepted`, which wakes the wait above.
 */
export function chatFleetProbes(fleet: ChatFleet): { accepted: EventEmitter; probes: PostProbe[] } {
  const accepted = new EventEmitter();
  function probe<T>(channel: string, list: T[], acceptedAt: (item: T) => number): PostProbe {
    const push = list.push.bind(list);
    list.push = (...items: T[]) => {
      const length = push(...items);
      accepted.emit('post');
      return length;
    };
    return { channel, count: () => list.length, acceptedAt: (i) => acceptedAt(list[i]!) };
  }
  const probes = [
    probe('slack', fleet.slack.messages, (m) => m.postedAt),
    probe('slack-community', fleet.slackCommunity.messages, (m) => m.postedAt),
    probe('teams', fleet.teams.cards, (c) => c.at),
    probe('discord', fleet.discord.messages, (m) => m.at),
    probe('mattermost', fleet.mattermost.posts, (p) => p.at),
    probe('discourse', fleet.discourse.posts, (p) => p.createdAt),
  ];
  return { accepted, probes };
}

export interface UpdateTiming {
  /** The publish request answered. */
  answeredMs: number;
  /** Each probe's post accepted, in the order of `probes`. */
  postedMs: number[];
  /** Every delivery of the update recorded `delivered`. */
  recordedMs: number;
}

/** A bench stops, naming the deliveries' states, when a post has not come this long after its publish. */
const STUCK_MS = 30_000;

type Api = <T = any>(method: string, path: string, body?: unknown) => Promise<ApiAnswer<T>>;

/**
 * Publishes one update with `publish` and times it. Waits for the records too, so the next update of the
 * incident finds its predecessor settled instead of waiting on it.
 */
export async function timeUpdate(
  api: Api,
  accepted: EventEmitter,
  probes: PostProbe[],
  publish: () => Promise<ApiAnswer>,
): Promise<{ answer: ApiAnswer; timing: UpdateTiming }> {
  const before = probes.map((p) => p.count());
  const started = preciseNow();
  const answer = await publish();
  const answeredMs = preciseNow() - started;
  if (answer.status !== 201) throw new Error(`publish failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  const deliveries = async () =>
    (
      await api<{ channels: Array<{ channel: string; state: string; error?: string }> }>(
        'GET',
        `/api/v1/updates/${answer.body.update.id}/deliveries`,
      )
    ).body.channels;
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      async () =>
        reject(
          new Error(
            `no post after ${STUCK_MS / 1000} s; deliveries: ${JSON.stringify(await deliveries().catch(() => 'unknown'))}`,
          ),
        ),
      STUCK_MS,
    );
  });
  await Promise.race([postsBeyond(accepted, probes, before), stuck]).finally(() => clearTimeout(timer));
  const postedMs = probes.map((p, k) => p.acceptedAt(before[k]!) - started);
  for (;;) {
    const channels = await deliveries();
    const failed = channels.find((c) => c.state === 'failed');
    if (failed) throw new Error(`delivery to ${failed.channel} failed: ${failed.error}`);
    if (channels.every((c) => c.state === 'delivered')) break;
    await sleep(1);
  }
  return { answer, timing: { answeredMs, postedMs, recordedMs: preciseNow() - started } };
}

/**
 * Each channel alone: `updates` updates published to that channel only (`channels: [name]`), one channel after
 * another, so a channel's post does not wait behind the other channels' work on Herald's event loop. What an
 * installation with that one channel would see. `publish(i, channels)` publishes update `i` of the sequence.
 */
export async function timeEachChannelAlone(
  api: Api,
  accepted: EventEmitter,
  probes: PostProbe[],
  updates: number,
  publish: (i: number, channels: string[]) => Promise<ApiAnswer>,
): Promise<Map<string, number[]>> {
  const alone = new Map<string, number[]>();
  for (const probe of probes) {
    const latencies: number[] = [];
    for (let i = 0; i < updates; i++) {
      const { timing } = await timeUpdate(api, accepted, [probe], () => publish(i, [probe.channel]));
      latencies.push(timing.postedMs[0]!);
    }
    alone.set(probe.channel, latencies);
  }
  return alone;
}

// Chaos (b) and (c): the queue's Redis restarted (AOF on, fsync always) or flushed in the middle of an email
// fan-out, with Mastodon and Slack posts of the same incident. CI: 2,000 recipients; HERALD_CHAOS_FULL=1: 10,000.
//
// Targets asserted: lost = 0 on every channel; duplicates = 0 on Mastodon and Slack; email duplicates at most the
// recipient rows in 'sending' (claimed, not recorded) when Redis went away.
// After a flush nothing in Redis remembers the fan-out: the outbox sweeper (here the API side's, every 1 s, rows
// idle 4 s) finds the delivery row with no job, re-enqueues the channel job, and that job (already planned)
// re-adds a job for every unfinished page (ensurePageJobs).
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosRig, FULL, printTable, sleep, waitForSink } from '../helpers/chaos-rig.js';
import { PrivateRedis } from '../helpers/redis-server.js';

const N = FULL ? 10_000 : 2_000;

describe('chaos: the queue Redis goes away mid fan-out', () => {
  let rig: ChaosRig | undefined;
  let redis: PrivateRedis | undefined;
  afterEach(async () => {
    await rig?.close();
    await redis?.stop();
    rig = undefined;
    redis = undefined;
  });

  for (const fault of ['restart', 'flush'] as const) {
    it(`${fault}: ${N} recipients × 2 updates + Mastodon + Slack, nothing lost`, {
      timeout: FULL ? 600_000 : 180_000,
    }, async () => {
      redis = await PrivateRedis.start();
      rig = await ChaosRig.start({ channels: ['email', 'mastodon', 'slack'], recipients: N, redisUrl: redis.url });
      await Promise.all([rig.startWorker(), rig.startWorker()]);
      const opened = await rig.open(`Redis ${fault}`);
      await rig.post(opened.incidentId, 'identified', 'Found it.');
      const at = Math.floor((0.25 + Math.random() * 0.25) * N);
      await waitForSink(rig.smtp!, at, 120_000);
      const inFlight = await rig.inFlight();
      const before = rig.smtp!.total();
      if (fault === 'restart') {
        await redis.stop(); // SIGKILL: a crash, AOF kept
        await sleep(1_000);
        await redis.start();
      } else {
        await redis.command('FLUSHALL');
      }
      await rig.waitSettled(FULL ? 480_000 : 120_000);
      await sleep(1_000);
      const rows = await rig.report();
      printTable(`Redis ${fault} at ${before}/${2 * N} emails`, rows, `email duplicate bound ${inFlight}`);
      for (const r of rows) expect(r.lost, `${r.channel} lost`).toBe(0);
      expect(rows.find((r) => r.channel === 'email')!.duplicates).toBeLessThanOrEqual(inFlight);
      expect(rows.find((r) => r.channel === 'mastodon')!.duplicates).toBe(0);
      expect(rows.find((r) => r.channel === 'slack')!.duplicates).toBe(0);
    });
  }
});

// Chaos (d): providers misbehave while two `herald worker` processes deliver an incident's three updates.
// - SMTP: every 10th address answers 421 once, the next one 451 twice (retried: must arrive exactly once);
//   (550 hard bounces: the separate case below, a regression test run under the real `herald worker`.)
// - Mastodon: 429 with a reset 1.5 s ahead, a 5xx burst of two, then a post that is stored but answered only
//   after the client's 500 ms timeout (the retry must find it through the Idempotency-Key, not post again).
// - X/Twitter: a 5xx, then a post stored after the client's timeout (the retry looks it up before posting).
// - Slack: 429 with Retry-After, then a 5xx burst of two.
// Targets asserted: lost = 0 and duplicates = 0 on every channel (no kill here, so email has nothing in flight
// to repeat).
import { afterAll, describe, expect, it } from 'vitest';
import { ChaosRig, FULL, printTable, sleep } from '../helpers/chaos-rig.js';

const N = FULL ? 10_000 : Number(process.env.CHAOS_N ?? 1_000);

describe('chaos: provider faults', () => {
  let rig: ChaosRig | undefined;
  afterAll(async () => {
    await rig?.close();
  });

  it(`SMTP 421/451, 429 with reset, 5xx bursts, timeout after accept (${N} recipients)`, {
    timeout: FULL ? 600_000 : 180_000,
  }, async () => {
    const index = (address: string) => Number(/^user(\d+)@/.exec(address)?.[1] ?? -1);
    rig = await ChaosRig.start({
      channels: ['email', 'mastodon', 'twitter', 'slack'],
      recipients: N,
      socialTimeoutMs: 500,
      smtp: {
        refuse(address, tries) {
          const i = index(address);
          if (i % 10 === 1 && tries === 1) return { code: 421, message: '4.7.0 Try again later' };
          if (i % 10 === 2 && tries <= 2) return { code: 451, message: '4.3.0 Temporary local problem' };
          return undefined;
        },
      },
    });
    const resetAtMs = Date.now() + 1_500;
    rig.mastodon!.failNext({ kind: '429', resetAtMs });
    rig.mastodon!.failNext({ kind: '5xx' });
    rig.mastodon!.failNext({ kind: '5xx' });
    rig.mastodon!.failNext({ kind: 'slow', delayMs: 1_500 });
    rig.twitter!.failNext({ kind: '5xx' });
    rig.twitter!.failNext({ kind: 'slow', delayMs: 1_500 });
    rig.slack!.failNext('429', { resetAtMs, method: 'chat.postMessage' });
    rig.slack!.failNext('5xx', { method: 'chat.postMessage' });
    rig.slack!.failNext('5xx', { method: 'chat.postMessage' });

    await Promise.all([rig.startWorker(), rig.startWorker()]);
    const opened = await rig.open('Provider trouble');
    await rig.post(opened.incidentId, 'identified', 'Upstream provider issue.');
    await rig.post(opened.incidentId, 'resolved', 'Provider recovered.');
    await rig.waitSettled(FULL ? 480_000 : 150_000);
    await sleep(1_000);

    const rows = await rig.report();
    printTable('provider faults', rows, `${N / 5} addresses refused with 421/451 first`);
    for (const r of rows) {
      expect(r.lost, `${r.channel} lost`).toBe(0);
      expect(r.duplicates, `${r.channel} duplicates`).toBe(0);
    }
    expect(rows.find((r) => r.channel === 'email')!.received).toBe(3 * N);
    expect(rows.filter((r) => r.channel !== 'email').every((r) => r.received === 3)).toBe(true);
  });
});

// Regression: the real CLI once loaded channels.config.ts in a separate module graph (tsx tsImport), so the
// channels' error classes were other copies than the ones src/pipeline checks and `instanceof PermanentError`
// failed: a 550 was retried for minutes and never suppressed. The config now shares Herald's module graph, and
// the error classes recognise copies (src/channels/errors.ts).
describe('chaos: a hard bounce under the real `herald worker`', () => {
  let rig: ChaosRig | undefined;
  afterAll(async () => {
    await rig?.close();
  });

  it('550 is recorded as failed with its reason and the address suppressed, within seconds', {
    timeout: 60_000,
  }, async () => {
    rig = await ChaosRig.start({
      channels: ['email'],
      recipients: 20,
      smtp: {
        refuse: (address) =>
          address === 'user3@example.test' ? { code: 550, message: '5.1.1 No such user' } : undefined,
      },
    });
    await rig.startWorker();
    await rig.open('Hard bounce');
    await rig.waitSettled(20_000);
    const rows = await rig.report();
    printTable('hard bounce (550) under herald worker', rows);
    expect(rows[0]).toMatchObject({ expected: 20, received: 19, lost: 0, duplicates: 0, recorded: 1 });
    const sub = await rig.h.herald.store.db
      .selectFrom('subscribers')
      .select(['state', 'last_error'])
      .where('address', '=', 'user3@example.test')
      .executeTakeFirstOrThrow();
    expect(sub.state).toBe('suppressed');
  });
});

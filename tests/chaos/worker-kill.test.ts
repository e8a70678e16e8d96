// Chaos (a): `herald worker` processes SIGKILLed at random moments during an email fan-out while the same
// incident's updates also go to Mastodon, Slack and the status page (one site directory, rebuilt by every
// worker). CI: 2,000 recipients, 2 kills; HERALD_CHAOS_FULL=1: 10,000 recipients, 5 kills.
//
// Targets asserted: lost = 0 on every channel. Mastodon and Slack reconcile an interrupted post (Idempotency-Key,
// history lookup): duplicates = 0. The status page shows each update once, whichever worker rebuilt it last,
// even when a worker is killed holding the site's lock. Email has no provider-side idempotency: a message the
// SMTP server accepted just before the kill, but whose outcome was not yet recorded, is sent again. The bound
// asserted is the number of recipient rows in state 'sending' (claimed, not recorded) right after each kill,
// summed over the kills.
import { afterAll, describe, expect, it } from 'vitest';
import { ChaosRig, FULL, printTable, sleep, waitForSink } from '../helpers/chaos-rig.js';

const N = FULL ? 10_000 : 2_000;
const KILLS = FULL ? 5 : 2;

describe('chaos: workers SIGKILLed mid fan-out', () => {
  let rig: ChaosRig | undefined;
  afterAll(async () => {
    await rig?.close();
  });

  it(`${N} recipients × 3 updates + Mastodon + Slack + status page, ${KILLS} kills: nothing lost`, {
    timeout: FULL ? 900_000 : 240_000,
  }, async () => {
    rig = await ChaosRig.start({ channels: ['email', 'mastodon', 'slack', 'statuspage'], recipients: N });
    rig.mastodon!.latencyMs = 150; // widens the window in which a kill lands mid-post
    await Promise.all([rig.startWorker(), rig.startWorker()]);

    const opened = await rig.open('Checkout errors');
    const expectedEmails = 3 * N;
    let bound = 0;
    const kills: string[] = [];
    for (let k = 1; k <= KILLS; k++) {
      // A random moment within this kill's share of the run (bounded wait).
      const target = Math.floor(((k - 1 + 0.3 + Math.random() * 0.6) / (KILLS + 1)) * expectedEmails);
      await waitForSink(rig.smtp!, target, 120_000);
      if (k === 1) await rig.post(opened.incidentId, 'identified', 'Bad deploy found; rolling back.');
      if (k === 2) await rig.post(opened.incidentId, 'resolved', 'Rolled back; all good.');
      await sleep(Math.random() * 200);
      const victim = rig.workers[Math.floor(Math.random() * rig.workers.length)]!;
      await rig.kill(victim);
      const inFlight = await rig.inFlight();
      bound += inFlight;
      kills.push(`kill ${k} at ${rig.smtp!.total()}/${expectedEmails} (in flight ${inFlight})`);
      await rig.startWorker();
    }
    if (rig.updates.length < 3) await rig.post(opened.incidentId, 'identified', 'Bad deploy found; rolling back.');
    if (rig.updates.length < 3) await rig.post(opened.incidentId, 'resolved', 'Rolled back; all good.');

    await rig.waitSettled(FULL ? 600_000 : 150_000);
    await sleep(1_000); // a late duplicate would show up here
    const rows = await rig.report();
    printTable(`SIGKILL × ${KILLS}, ${N} recipients`, rows, `${kills.join('; ')}; email duplicate bound ${bound}`);
    for (const r of rows) expect(r.lost, `${r.channel} lost`).toBe(0);
    expect(rows.find((r) => r.channel === 'email')!.duplicates).toBeLessThanOrEqual(bound);
    expect(rows.find((r) => r.channel === 'mastodon')!.duplicates).toBe(0);
    expect(rows.find((r) => r.channel === 'slack')!.duplicates).toBe(0);
    expect(rows.find((r) => r.channel === 'statuspage')).toMatchObject({ expected: 3, received: 3, duplicates: 0 });
    expect(rows.find((r) => r.channel === 'email')!.received).toBe(expectedEmails);
  });
});

// Chaos (e): PostgreSQL restarted (an immediate stop: a crash, with WAL recovery on start) in the middle of an
// email fan-out, with an update published mid-fan-out. The server is a private one (initdb + pg_ctl on a free
// port, see tests/helpers/chaos-postgres.ts): the shared server on 127.0.0.1:5432 is never touched.
// CI: 2,000 recipients; HERALD_CHAOS_FULL=1: 10,000.
// Targets asserted: lost = 0 and duplicates = 0 on every channel. The workers outlive the database's restart, and a
// message they sent while it was away is recorded once it answers again (src/store/write-patiently.ts) instead of
// being sent a second time by the page's retry. Before that, email sent one duplicate per recipient row left
// 'sending' by the crash (87–143 in the runs that counted them).
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/env.js';
import { ChaosRig, FULL, printTable, sleep, waitForSink } from '../helpers/chaos-rig.js';
import { PrivatePostgres } from '../helpers/chaos-postgres.js';

// Regression: a page's outcome writes ran in the background, and one that failed while PostgreSQL was down
// became an unhandled rejection that killed both `herald worker` processes (their jobs then sat 'active').
// The recorder now keeps the error and the page job retries (src/pipeline/fanout.ts, OutcomeRecorder).
const N = FULL ? 10_000 : Number(process.env.CHAOS_N ?? 2_000);

describe.skipIf(!PrivatePostgres.available())('chaos: PostgreSQL restarted mid fan-out', () => {
  let rig: ChaosRig | undefined;
  let server: PrivatePostgres | undefined;
  afterAll(async () => {
    await rig?.close();
    server?.destroy();
  });

  it(`${N} recipients × 2 updates + Mastodon + Slack: nothing lost`, {
    timeout: FULL ? 600_000 : 180_000,
  }, async () => {
    server = await PrivatePostgres.start();
    rig = await ChaosRig.start({ channels: ['email', 'mastodon', 'slack'], recipients: N, databaseUrl: server.url });
    const workers = await Promise.all([rig.startWorker(), rig.startWorker()]);
    const opened = await rig.open('Database restart');
    await waitForSink(rig.smtp!, Math.floor(0.2 * N), 120_000);
    await rig.post(opened.incidentId, 'identified', 'Published mid fan-out.');
    await waitForSink(rig.smtp!, Math.floor((0.3 + Math.random() * 0.2) * N), 120_000);
    const at = rig.smtp!.total();
    server.stopServer('immediate');
    await sleep(2_000);
    server.startServer();
    // Rows claimed and not yet recorded right after the restart: what the workers sent while the server was away.
    const inFlightAtCrash = await eventually(async () => rig!.inFlight().catch(() => undefined), 15_000, 100);
    await rig.waitSettled(FULL ? 480_000 : Number(process.env.CHAOS_SETTLE_MS ?? 120_000));
    await sleep(1_000);
    const rows = await rig.report();
    const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length;
    printTable(
      `PostgreSQL crash-restart at ${at}/${2 * N} emails`,
      rows,
      `recipient rows 'sending' right after the restart: ${inFlightAtCrash}; workers still running ${alive}/2`,
    );
    for (const r of rows) {
      expect(r.lost, `${r.channel} lost`).toBe(0);
      expect(r.duplicates, `${r.channel} duplicates`).toBe(0);
    }
    // The workers ride out the outage (they do not crash on a dropped connection).
    expect(alive, `a worker died: ${workers.map((w) => w.tail().slice(-1200)).join('\n---\n')}`).toBe(2);
  });
});

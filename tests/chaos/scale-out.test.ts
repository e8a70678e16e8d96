// Scale-out: several `node bin/herald.mjs worker` processes (the real CLI, HERALD_CONFIG = the chaos config) on one
// Redis and one PostgreSQL database share an email fan-out with no duplicates. Each process sends with its own
// envelope sender (EMAIL_FROM), so the SMTP sink knows who did what.
// HERALD_SCALE_BENCH=1 also measures deliveries/s with 1, 2 and 3 worker processes (figures in docs/scaling.md).
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosRig, FULL, printTable, sleep } from '../helpers/chaos-rig.js';

const N = FULL ? 5_000 : 2_000;
const INCIDENTS = 3;

describe('scale-out: N herald worker processes share the work', () => {
  let rig: ChaosRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it(`3 workers, ${INCIDENTS} incidents × ${N} recipients: every process works, nothing twice`, {
    timeout: 240_000,
  }, async () => {
    rig = await ChaosRig.start({ channels: ['email'], recipients: N });
    const workers = await Promise.all([rig.startWorker(), rig.startWorker(), rig.startWorker()]);
    for (let i = 0; i < INCIDENTS; i++) await rig.open(`Region ${i + 1} degraded`);
    await rig.waitSettled(180_000);
    await sleep(500);
    const rows = await rig.report();
    const perWorker = workers.map((w) => rig!.smtp!.bySender.get(w.marker) ?? 0);
    printTable('scale-out, 3 worker processes', rows, `emails per process: ${perWorker.join(' / ')}`);
    expect(rows[0]).toMatchObject({ expected: INCIDENTS * N, received: INCIDENTS * N, lost: 0, duplicates: 0 });
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(INCIDENTS * N);
    for (const n of perWorker) expect(n).toBeGreaterThan(0);
    // The delivery rows' counters add up exactly what the recipient rows say (three processes recording at once).
    const counters = await rig.h.herald.store.db
      .selectFrom('deliveries')
      .select(['state', 'total', 'delivered', 'failed'])
      .where('channel', '=', 'email')
      .execute();
    expect(counters).toEqual(
      Array.from({ length: INCIDENTS }, () => ({ state: 'delivered', total: N, delivered: N, failed: 0 })),
    );
  });

  it.runIf(process.env.HERALD_SCALE_BENCH === '1')(
    'deliveries/s with 1, 2 and 3 worker processes',
    { timeout: 900_000 },
    async () => {
      const size = Number(process.env.HERALD_SCALE_N ?? 10_000);
      const results: string[] = [];
      for (const count of [1, 2, 3]) {
        rig = await ChaosRig.start({ channels: ['email'], recipients: size });
        const workers = await Promise.all(Array.from({ length: count }, () => rig!.startWorker()));
        const started = Date.now();
        await rig.open('Bench');
        await rig.waitSettled(600_000);
        const seconds = (Date.now() - started) / 1000;
        const sendSeconds = ((rig.smtp!.lastAt() ?? 0) - (rig.smtp!.firstAt() ?? 0)) / 1000;
        const rows = await rig.report();
        expect(rows[0]).toMatchObject({ lost: 0, duplicates: 0 });
        const perWorker = workers.map((w) => rig!.smtp!.bySender.get(w.marker) ?? 0);
        results.push(
          `${count} worker(s): ${size} emails in ${seconds.toFixed(1)} s publish→settled = ${(size / seconds).toFixed(0)} deliveries/s (first→last email ${(size / sendSeconds).toFixed(0)}/s); per process ${perWorker.join(' / ')}`,
        );
        await rig.close();
        rig = undefined;
      }
      console.log(`\n[scale] ${results.join('\n[scale] ')}`);
    },
  );
});

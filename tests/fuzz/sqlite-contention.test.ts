import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

// Regression found by bench/load.ts: with `herald serve --no-workers` and a `herald worker` on one SQLite file,
// admin publishes failed under load with "database is locked" although busy_timeout is 10 s: a deferred BEGIN
// read first, and when the other process committed meanwhile SQLite could not upgrade the snapshot and failed at
// once. SQLite transactions now BEGIN IMMEDIATE (src/store/sqlite-driver.ts), so they wait for the lock instead.
const WRITER = resolve(import.meta.dirname, '../helpers/fuzz-sqlite-writer.ts');

describe('SQLite: publishes while another process writes the same file', () => {
  let h: TestHerald;
  let incidentId: string;
  beforeAll(async () => {
    h = await startTestHerald({
      database: 'sqlite',
      channels: [recordingChannel('recorder').definition],
      workers: false,
    });
    incidentId = (await h.api('POST', '/api/v1/incidents', { title: 'Busy', message: 'x' })).body.incident.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  const statuses: number[] = [];
  beforeAll(async () => {
    const writer = spawn(process.execPath, ['--import', 'tsx', WRITER, h.databaseUrl, incidentId, '4000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(writer, 'exit');
    await new Promise<void>((ok) => writer.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && ok()));
    for (let round = 0; round < 5; round++) {
      statuses.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            h
              .api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: `update ${round}.${i}` })
              .then((r) => r.status),
          ),
        )),
      );
    }
    await exited;
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    console.log(`publishes while another process writes: ${JSON.stringify(counts)}`);
  }, 30_000);

  it('a refused publish stores nothing: one update and one delivery row per accepted publish', async () => {
    const accepted = statuses.filter((s) => s === 201).length;
    const db = h.herald.store.db;
    const updates = await db
      .selectFrom('incident_updates')
      .select('id')
      .where('incident_id', '=', incidentId)
      .execute();
    const deliveries = await db.selectFrom('deliveries').select('id').where('incident_id', '=', incidentId).execute();
    expect(updates).toHaveLength(accepted + 1);
    expect(deliveries).toHaveLength(accepted + 1);
  });

  it('every publish is accepted (none answered 500 or 503 "database is locked")', () => {
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
  });
});

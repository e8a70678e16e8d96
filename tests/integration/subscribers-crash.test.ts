import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { REDIS_URL, eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret, seedSubscribers } from '../helpers/subscribers.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';

const N = 2000;
const WORKER = resolve(import.meta.dirname, '../helpers/fanout-worker.ts');

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not start within 20 s')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolvePromise(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

describe('fan-out survives SIGKILL of the worker', () => {
  let h: TestHerald | undefined;
  let sink: SmtpSink | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await h?.close();
    await sink?.close();
  });

  it(`every one of ${N} subscribers gets the update: none lost, duplicates bounded by the sends in flight`, {
    timeout: 120_000,
  }, async () => {
    sink = await startSmtpSink();
    const secret = randomSecret();
    h = await startTestHerald({
      channels: [email({ smtpUrl: sink.url, from: 'Status <status@example.test>' })],
      workers: false,
      env: { HERALD_SECRET: secret, HERALD_LOCK_DURATION_MS: '2000' },
    });
    await seedSubscribers(h.herald.store.db, N);
    const workerEnv = {
      DATABASE_URL: h.databaseUrl,
      REDIS_URL,
      HERALD_QUEUE_PREFIX: h.prefix,
      HERALD_SECRET: secret,
      HERALD_DATA_DIR: h.dataDir,
      HERALD_PUBLIC_URL: 'https://status.example.test',
      HERALD_LOCK_DURATION_MS: '2000',
      SMTP_URL: sink.url,
      EMAIL_FROM: 'Status <status@example.test>',
    };
    children.push(await startWorker(workerEnv));

    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Crash test',
      message: 'Everyone must hear this once.',
    });
    expect(opened.status).toBe(201);
    await eventually(() => sink!.total() >= N / 4, 30_000, 5);
    children[0]!.kill('SIGKILL');
    await new Promise((r) => children[0]!.once('exit', r));
    const atKill = sink.total();

    children.push(await startWorker(workerEnv));
    const row = await eventually(
      async () => {
        const res = await h!.api('GET', `/api/v1/updates/${opened.body.update.id}/deliveries`);
        const email = res.body.channels[0];
        return email.state === 'delivered' ? email : undefined;
      },
      90_000,
      200,
    );
    expect(row).toMatchObject({ total: N, delivered: N, failed: 0, pending: 0 });

    let lost = 0;
    let duplicates = 0;
    for (let i = 0; i < N; i++) {
      const n = sink.counts.get(`user${i}@example.test`) ?? 0;
      if (n === 0) lost++;
      if (n > 1) duplicates += n - 1;
    }
    console.log(`[crash test] killed at ${atKill}/${N} accepted; lost=${lost} duplicates=${duplicates}`);
    expect(lost).toBe(0);
    // In flight at the kill: at most 2 pages × 50 claimed recipients.
    expect(duplicates).toBeLessThanOrEqual(100);
    const rows = await h.herald.store.db
      .selectFrom('recipient_deliveries')
      .select('state')
      .where('state', '!=', 'sent')
      .execute();
    expect(rows).toEqual([]);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { slack } from '../../src/channels/slack/index.js';
import { REDIS_URL, eventually } from '../helpers/env.js';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';

const CHILD = resolve(import.meta.dirname, '../helpers/chat-worker-child.ts');

describe('Slack: a worker SIGKILLed between the post and its record', () => {
  let fake: SlackFake | undefined;
  let h: TestHerald | undefined;
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await h?.close();
    await fake?.close();
  });

  function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: {
        ...process.env,
        DATABASE_URL: h!.databaseUrl,
        REDIS_URL,
        HERALD_QUEUE_PREFIX: h!.prefix,
        HERALD_DATA_DIR: h!.dataDir,
        HERALD_PUBLIC_URL: 'https://status.example.test',
        HERALD_API_TOKEN: TEST_TOKEN,
        HERALD_LOCK_DURATION_MS: '2000',
        SLACK_API_URL: fake!.apiUrl,
        SLACK_TOKEN: fake!.token,
        SLACK_CHANNEL: SLACK_FAKE_CHANNEL.id,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error('worker child did not start within 20 s')), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) {
          clearTimeout(timer);
          resolvePromise(child);
        }
      });
      child.on('exit', (code) => reject(new Error(`worker child exited early (${code})`)));
    });
  }

  const kill = (child: ChildProcess) =>
    new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGKILL');
    });

  const delivery = async (updateId: string) =>
    (await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`)).body.channels[0];

  const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)),
    ]);

  it('posts the first message and a thread reply exactly once each', async () => {
    fake = await startSlackFake();
    h = await startTestHerald({
      workers: false,
      channels: [slack({ token: fake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: fake.apiUrl })],
    });

    // 1. The incident's first message: accepted by Slack, the answer never reaches the worker.
    let held = fake.holdNextPost();
    let worker = await startWorker();
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Checkout errors', message: 'Investigating.' });
    expect(opened.status).toBe(201);
    await withTimeout(held.arrived, 15_000, 'the worker did not post');
    await kill(worker);
    held.release();
    expect(fake.messages).toHaveLength(1);
    expect((await delivery(opened.body.update.id)).state).toBe('delivering');

    worker = await startWorker();
    const first = await eventually(async () => {
      const d = await delivery(opened.body.update.id);
      return d.state === 'delivered' ? d : undefined;
    }, 20_000);
    expect(fake.messages).toHaveLength(1);
    expect(first.attempts).toBe(2);

    // 2. A reply in the thread, the same crash.
    held = fake.holdNextPost();
    const update = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'Found the cause.',
      status: 'identified',
    });
    await withTimeout(held.arrived, 15_000, 'the worker did not reply');
    await kill(worker);
    held.release();
    worker = await startWorker();
    await eventually(async () => (await delivery(update.body.update.id)).state === 'delivered', 20_000);

    const replies = fake.messages.filter((m) => m.thread_ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.thread_ts).toBe(fake.messages[0]!.ts);
    expect(fake.messages).toHaveLength(2);
    // The worker died before its edit of the first message (the edit follows the reply): the recovery made it.
    expect(fake.messages[0]!.edits.map((e) => e.text)).toEqual([expect.stringContaining('[Identified]')]);
    // The recovery looked before posting again.
    expect(fake.calls.map((c) => c.method)).toContain('conversations.history');
    expect(fake.calls.map((c) => c.method)).toContain('conversations.replies');
    await kill(worker);
  }, 90_000);
});

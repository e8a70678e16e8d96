import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MastodonFake } from '../fakes/mastodon-fake.js';
import { getDelivery } from '../../src/store/deliveries-repo.js';
import { REDIS_URL } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { type SocialKind, type SocialSetup, socialSetup } from '../helpers/social-channels.js';
import { waitDelivered } from '../helpers/social-pipeline.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = resolve(ROOT, 'tests/helpers/social-worker-child.ts');

function startWorker(h: TestHerald, setup: SocialSetup): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HERALD_DATA_DIR: h.dataDir,
      DATABASE_URL: h.databaseUrl,
      REDIS_URL,
      HERALD_QUEUE_PREFIX: h.prefix,
      HERALD_PUBLIC_URL: 'https://status.example.test',
      HERALD_SECRET: 'crash-test-secret',
      HERALD_LOCK_DURATION_MS: '2000',
      ...setup.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 20 s: ${stderr}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) {
        clearTimeout(timer);
        resolvePromise(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`));
    });
  });
}

const killed = (child: ChildProcess) =>
  new Promise<void>((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );

describe.each(['twitter', 'mastodon', 'bluesky'] as SocialKind[])('%s: a worker that dies after posting', (kind) => {
  let h: TestHerald | undefined;
  let setup: SocialSetup | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map(killed));
    children.length = 0;
    await h?.close();
    await setup?.fake.close();
  });

  it('is not posted again after restart: the next worker reconciles instead', { timeout: 60_000 }, async () => {
    setup = await socialSetup(kind);
    h = await startTestHerald({ channels: [setup.definition], workers: false });
    // The platform stores the post, then the answer never comes back: the worker is killed in between.
    setup.fake.holdAnswers = true;
    const accepted = setup.fake.nextAccepted();
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Crash test',
      message: 'Posted once, whatever happens.',
    });
    expect(opened.status).toBe(201);
    const updateId: string = opened.body.update.id;

    const first = await startWorker(h, setup);
    children.push(first);
    const post = await Promise.race([
      accepted,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('the fake never saw the post')), 20_000)),
    ]);
    first.kill('SIGKILL');
    await killed(first);
    setup.fake.holdAnswers = false;

    const [row] = await h.herald.store.db
      .selectFrom('deliveries')
      .select('id')
      .where('update_id', '=', updateId)
      .execute();
    expect((await getDelivery(h.herald.store.db, row!.id))?.state).toBe('delivering');

    children.push(await startWorker(h, setup));
    const delivered = await waitDelivered(h, updateId, kind, 30_000);
    expect(setup.fake.posts).toHaveLength(1);
    expect(setup.fake.posts[0]!.id).toBe(post.id);
    expect(delivered.externalUrl).toBeTruthy();
    const recorded = await getDelivery(h.herald.store.db, row!.id);
    expect(recorded?.externalId).toBe(post.id);
    // Found by reconcile(), not by Mastodon's Idempotency-Key answering a second POST.
    if (kind === 'mastodon') expect((setup.fake as MastodonFake).idempotencyHits).toEqual([]);
  });
});

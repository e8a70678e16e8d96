import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/channels/errors.js';
import { verifyCredentials } from '../../src/console/users.js';
import { openStore } from '../../src/store/store.js';
import { eventually, tempDir } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { addUser, formPost, signIn } from './console-helpers.js';

const BIN = resolve(import.meta.dirname, '../../bin/herald.mjs');

function herald(args: string[], env: Record<string, string>, stdin?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

describe('herald user add', () => {
  it('creates a console user from --password-stdin whose password then signs in', async () => {
    const dir = tempDir();
    const env = { HERALD_DATA_DIR: dir, DATABASE_URL: join(dir, 'herald.db') };
    const added = await herald(
      ['user', 'add', 'Ops.Lead', '--role', 'commander', '--password-stdin'],
      env,
      'a very long passphrase\n',
    );
    expect(added).toMatchObject({ code: 0, stdout: "created commander 'ops.lead'\n" });
    const short = await herald(['user', 'add', 'someone', '--password-stdin'], env, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password: must be at least 12 characters');
    const store = await openStore(env.DATABASE_URL);
    try {
      expect(await verifyCredentials(store.db, 'ops.lead', 'a very long passphrase')).toMatchObject({
        username: 'ops.lead',
        role: 'commander',
      });
      expect(await verifyCredentials(store.db, 'ops.lead', 'a very long passphrase\n')).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('failed deliveries in the console', () => {
  let h: TestHerald | undefined;
  afterAll(async () => h?.close());

  it('shows the reason and retries one channel', async () => {
    let failNext = true;
    const flaky = recordingChannel('flaky', {
      attempts: 1,
      behave: () => {
        if (failNext) {
          failNext = false;
          throw new PermanentError('provider refused the token: check FLAKY_TOKEN');
        }
      },
    });
    h = await startTestHerald({ channels: [flaky.definition], workers: true });
    await addUser(h, 'alice', 'commander');
    const s = await signIn(h, 'alice');
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Flaky', message: 'Testing retries.' });
    const updateId = opened.body.update.id as string;
    await eventually(
      async () => (await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`)).body.channels[0].state === 'failed',
    );

    const page = await h.app.inject({
      method: 'GET',
      url: `/console/updates/${updateId}`,
      headers: { cookie: s.cookie },
    });
    expect(page.body).toContain('provider refused the token: check FLAKY_TOKEN');
    expect(page.body).toContain('Retry flaky');

    const stream = await h.app.inject({
      method: 'GET',
      url: `/console/updates/${updateId}/events`,
      headers: { cookie: s.cookie },
    });
    expect(stream.headers['content-type']).toContain('text/event-stream');
    expect(stream.body).toContain('event: progress');
    expect(stream.body).toContain('event: settled\ndata: flaky=failed');

    const retried = await formPost(h, `/console/updates/${updateId}/deliveries/flaky/retry`, s.cookie, {
      _csrf: s.csrf,
    });
    expect(retried.statusCode).toBe(303);
    await eventually(
      async () =>
        (await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`)).body.channels[0].state === 'delivered',
    );
    const again = await formPost(h, `/console/updates/${updateId}/deliveries/flaky/retry`, s.cookie, { _csrf: s.csrf });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('only failed, partial or skipped deliveries can be retried');
  });
});

describe('failed recipients', () => {
  let h: TestHerald | undefined;
  afterAll(async () => h?.close());

  it('lists each failed recipient of an audience channel with its reason', async () => {
    h = await startTestHerald({ channels: [recordingChannel('mailer').definition], workers: false });
    await addUser(h, 'alice', 'commander');
    const s = await signIn(h, 'alice');
    const subscriber = await h.api('POST', '/api/v1/subscribers', { email: 'bounce@example.com', confirmed: true });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Mail trouble', message: 'Testing.' });
    const updateId = opened.body.update.id as string;
    const { db } = h.herald.store;
    // What the fan-out records for a recipient it could not reach (written directly: no mail server here).
    const delivery = await db
      .selectFrom('deliveries')
      .select('id')
      .where('update_id', '=', updateId)
      .executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    await db
      .updateTable('deliveries')
      .set({ state: 'partial', total: 2, delivered: 1, failed: 1 })
      .where('id', '=', delivery.id)
      .execute();
    await db
      .insertInto('recipient_deliveries')
      .values({
        delivery_id: delivery.id,
        subscriber_id: subscriber.body.id,
        state: 'failed',
        attempts: 3,
        external_id: null,
        error: '550 5.1.1 mailbox unknown',
        updated_at: now,
      })
      .execute();
    const page = await h.app.inject({
      method: 'GET',
      url: `/console/updates/${updateId}`,
      headers: { cookie: s.cookie },
    });
    expect(page.body).toMatch(
      /<td>mailer<\/td><td>bounce@example\.com<\/td><td>3<\/td><td class="error-text">550 5\.1\.1 mailbox unknown<\/td>/,
    );
    expect(page.body).toContain('Retry mailer');
  });
});

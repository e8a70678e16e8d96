import { afterEach, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { type ChaosSmtp, startChaosSmtp } from '../helpers/chaos-smtp.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret } from '../helpers/subscribers.js';

// Opt-in messages are queued like deliveries: a provider that refuses for a while delays them, a process
// without workers leaves them to one that has, and nothing is sent twice.
describe('confirmation messages go through the queue', () => {
  const opened: Array<TestHerald | ChaosSmtp> = [];
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close();
  });

  const signup = (h: TestHerald, address: string) =>
    h.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: JSON.stringify({ email: address }),
      headers: { 'content-type': 'application/json' },
      remoteAddress: '10.0.0.7',
    });

  it('a 451 on the first try is retried with backoff and the message arrives once', async () => {
    const smtp = await startChaosSmtp({
      refuse: (_address, tries) => (tries === 1 ? { code: 451, message: '4.7.1 Try again later' } : undefined),
    });
    opened.push(smtp);
    const h = await startTestHerald({
      channels: [email({ smtpUrl: smtp.url, from: 'Status <status@example.test>' })],
      env: { HERALD_SECRET: randomSecret() },
    });
    opened.push(h);
    expect((await signup(h, 'late@example.test')).statusCode).toBe(202);
    await eventually(async () => smtp.total() === 1 || undefined, 20_000, 100);
    await new Promise((r) => setTimeout(r, 1_500)); // room for a duplicate to show up
    expect(smtp.total()).toBe(1);
    expect([...smtp.byMessageId.values()]).toEqual([1]);
  });

  it('`serve --no-workers` queues it; a worker started later sends it', async () => {
    const smtp = await startChaosSmtp();
    opened.push(smtp);
    const channels = [email({ smtpUrl: smtp.url, from: 'Status <status@example.test>' })];
    const secret = randomSecret();
    const api = await startTestHerald({ channels, workers: false, env: { HERALD_SECRET: secret } });
    opened.push(api);
    expect((await signup(api, 'queued@example.test')).statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.total()).toBe(0);

    // A worker process on the same database and queue prefix.
    const worker = await startTestHerald({
      channels,
      dataDir: api.dataDir,
      env: { HERALD_SECRET: secret, DATABASE_URL: api.databaseUrl, HERALD_QUEUE_PREFIX: api.prefix },
    });
    opened.push(worker);
    await eventually(async () => smtp.total() === 1 || undefined, 20_000, 100);
    const row = await api.herald.store.db.selectFrom('subscribers').selectAll().executeTakeFirstOrThrow();
    expect(row.confirmed_at).toBeNull();
    expect(row.confirmation_sent_at).not.toBeNull();
  });

  it('a confirmation the queue could not take leaves the subscriber pending and lets a new sign-up send at once', async () => {
    const smtp = await startChaosSmtp();
    opened.push(smtp);
    const h = await startTestHerald({
      channels: [email({ smtpUrl: smtp.url, from: 'Status <status@example.test>' })],
      env: { HERALD_SECRET: randomSecret() },
    });
    opened.push(h);
    const queue = h.herald.confirmations;
    let refused = 0;
    // Redis away for the first sign-up: the enqueue fails.
    queue.enqueue = async () => {
      refused++;
      throw new Error('queue unavailable: Redis connection is reconnecting');
    };
    expect((await signup(h, 'retry@example.test')).statusCode).toBe(202);
    const row = () => h.herald.store.db.selectFrom('subscribers').selectAll().executeTakeFirstOrThrow();
    await eventually(async () => refused === 1 && (await row()).confirmation_sent_at === null, 5_000, 20);
    expect((await row()).confirmed_at).toBeNull();

    // Redis back: signing up again sends now, not after the 10-minute resend window.
    delete (queue as { enqueue?: unknown }).enqueue; // the class's own method again
    expect((await signup(h, 'retry@example.test')).statusCode).toBe(202);
    await eventually(async () => smtp.total() === 1 || undefined, 20_000, 100);
    expect((await row()).confirmation_sent_at).not.toBeNull();
  });
});

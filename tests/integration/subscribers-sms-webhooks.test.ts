import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { twilioSignature } from '../../src/channels/sms/inbound.js';
import { sms } from '../../src/channels/sms/index.js';
import { webhooks } from '../../src/channels/webhooks/index.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret, seedSubscribers } from '../helpers/subscribers.js';
import { addUser, signIn } from './console-helpers.js';
import { type TwilioFake, startTwilioFake } from '../fakes/twilio-fake.js';

const settled = (h: TestHerald, updateId: string, channel: string) =>
  eventually(
    async () => {
      const res = await h.api('GET', `/api/v1/updates/${updateId}/deliveries`);
      const row = res.body.channels.find((c: { channel: string }) => c.channel === channel);
      return row && ['delivered', 'partial', 'failed', 'skipped'].includes(row.state) ? row : undefined;
    },
    25_000,
    100,
  );

describe('SMS through a Twilio fake', () => {
  let h: TestHerald | undefined;
  let twilio: TwilioFake | undefined;
  afterEach(async () => {
    await h?.close();
    await twilio?.close();
    h = undefined;
  });

  it('sends fitted text, retries 429 and 5xx, fails and suppresses invalid numbers, honours STOP', async () => {
    twilio = await startTwilioFake();
    h = await startTestHerald({
      channels: [
        sms({
          apiUrl: twilio.url,
          accountSid: twilio.accountSid,
          authToken: twilio.authToken,
          from: '+15005550006',
          maxSegments: 2,
        }),
      ],
      env: { HERALD_SECRET: randomSecret() },
    });
    for (const phone of ['+14155550101', '+14155550102', '+14155550103', '+14155550104']) {
      expect((await h.api('POST', '/api/v1/subscribers', { phone, confirmed: true })).status).toBe(201);
    }
    twilio.invalid.add('+14155550103');
    twilio.failNext('+14155550101', '500');
    twilio.failNext('+14155550102', '429');
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Login failures',
      message: 'Investigating. '.repeat(60),
    });
    const row = await settled(h, opened.body.update.id, 'sms');
    expect(row).toMatchObject({ state: 'partial', total: 4, delivered: 3, failed: 1 });
    expect(twilio.messages.map((m) => m.to).sort()).toEqual(['+14155550101', '+14155550102', '+14155550104']);
    const text = twilio.messages[0]!.body;
    expect(text.length).toBeLessThanOrEqual(306);
    // Cut to fit: the short link (/i/<code>) leaves the message more room than the page's address.
    expect(text).toContain(`https://status.example.test/i/${opened.body.incident.id.slice(0, 13)}`);
    expect(text).toContain('Reply STOP');
    const subs = (await h.api('GET', '/api/v1/subscribers')).body as Array<{ phone: string; state: string }>;
    expect(subs.find((s) => s.phone === '+14155550103')?.state).toBe('suppressed');

    // Per recipient: the failed one with Twilio's reason, and every one over two pages.
    const recipients = `/api/v1/updates/${opened.body.update.id}/recipients`;
    const failed = (await h.api('GET', `${recipients}?state=failed`)).body;
    expect(failed.recipients).toEqual([
      expect.objectContaining({
        channel: 'sms',
        address: '+14155550103',
        state: 'failed',
        error: expect.stringMatching(/21211/),
      }),
    ]);
    expect(failed.next).toBeUndefined();
    // The console's delivery page lists the same failed recipients, with the reason.
    await addUser(h, 'ops', 'viewer');
    const { cookie } = await signIn(h, 'ops');
    const progress = await h.app.inject({ url: `/console/updates/${opened.body.update.id}`, headers: { cookie } });
    const failedTable = /<h2 id="failed-h">[\s\S]*?<\/section>/.exec(progress.body)?.[0] ?? '';
    const failedRows = [
      ...failedTable.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>(\d+)<\/td><td[^>]*>([^<]*)</g),
    ];
    expect(failedRows.map(([, channel, address, , reason]) => ({ channel, address, reason }))).toEqual([
      { channel: 'sms', address: '+14155550103', reason: expect.stringMatching(/21211/) },
    ]);
    const first = (await h.api('GET', `${recipients}?limit=3`)).body;
    expect(first.recipients).toHaveLength(3);
    const second = (await h.api('GET', `${recipients}?limit=3&after=${first.next}`)).body;
    expect(second).toMatchObject({ recipients: [expect.anything()] });
    expect(second.next).toBeUndefined();
    const all = [...first.recipients, ...second.recipients] as Array<{ address: string; state: string }>;
    expect(all.map((r) => r.address).sort()).toEqual(['+14155550101', '+14155550102', '+14155550103', '+14155550104']);
    expect(all.filter((r) => r.state === 'sent')).toHaveLength(3);
    expect((await h.api('GET', `${recipients}?state=lost`)).body).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/^state: must be one of pending, sending, sent, failed, skipped/),
    });
    expect((await h.api('GET', `${recipients}?after=garbage`)).status).toBe(400);
    expect((await h.api('GET', `${recipients}?limit=0`)).status).toBe(400);
    expect((await h.api('GET', '/api/v1/updates/nosuch/recipients')).status).toBe(404);

    // Inbound STOP: signature checked, then the number is unsubscribed.
    const params = {
      From: '+14155550104',
      To: '+15005550006',
      Body: 'stop',
      MessageSid: 'SM1',
      AccountSid: twilio.accountSid,
    };
    const payload = new URLSearchParams(params).toString();
    const forged = await h.app.inject({
      method: 'POST',
      url: '/sms/inbound',
      payload,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' },
    });
    expect(forged.statusCode).toBe(403);
    const signature = twilioSignature(twilio.authToken, 'https://status.example.test/sms/inbound', params);
    const stop = await h.app.inject({
      method: 'POST',
      url: '/sms/inbound',
      payload,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    });
    expect(stop.statusCode).toBe(200);
    expect(stop.body).toContain('<Response>');
    expect(
      ((await h.api('GET', '/api/v1/subscribers')).body as Array<{ phone: string }>).map((s) => s.phone),
    ).not.toContain('+14155550104');
  });
});

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  path: string;
}

async function receiver(answer: (path: string) => number) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (c) => (body += c));
    request.on('end', () => {
      received.push({ headers: request.headers, body, path: request.url ?? '' });
      response.statusCode = answer(request.url ?? '');
      response.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.each(['sqlite', 'postgres'] as const)('signed webhooks on %s', (database) => {
  let h: TestHerald | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await h?.close();
    await close?.();
    h = undefined;
  });

  it('signs per Standard Webhooks, disables on 410, quarantines a failing endpoint', async () => {
    const rx = await receiver((path) => (path === '/gone' ? 410 : path === '/broken' ? 500 : 204));
    close = rx.close;
    h = await startTestHerald({
      database,
      channels: [webhooks({ allowPrivate: true, attempts: 4, backoffMs: 100, quarantineAfter: 2 })],
      env: { HERALD_SECRET: randomSecret(), HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' },
    });
    const good = (await h.api('POST', '/api/v1/subscribers', { webhookUrl: rx.url('/ok'), confirmed: true })).body;
    expect(good.secret).toMatch(/^whsec_/);
    await h.api('POST', '/api/v1/subscribers', { webhookUrl: rx.url('/gone'), confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { webhookUrl: rx.url('/broken'), confirmed: true });
    // Many subscribers on the fan-out path too (several pages).
    await seedSubscribers(h.herald.store.db, 1200, {
      kind: 'webhook',
      address: (i) => rx.url(`/ok?n=${i}`),
      secret: () => good.secret,
    });

    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Webhooks', message: 'Hello **hooks**' });
    const row = await settled(h, opened.body.update.id, 'webhooks');
    expect(row).toMatchObject({ state: 'partial', total: 1203, delivered: 1201, failed: 2 });

    const ok = rx.received.find((r) => r.path === '/ok')!;
    const event = new Webhook(good.secret).verify(ok.body, ok.headers as Record<string, string>) as {
      type: string;
      data: { incident: { id: string }; update: { message: string } };
    };
    expect(event.type).toBe('incident.created');
    expect(event.data.incident.id).toBe(opened.body.incident.id);
    expect(event.data.update.message).toBe('Hello **hooks**');
    expect(() =>
      new Webhook(`whsec_${randomSecret()}`).verify(ok.body, ok.headers as Record<string, string>),
    ).toThrow();
    const okPaths = new Set(rx.received.filter((r) => r.path.startsWith('/ok')).map((r) => r.path));
    expect(okPaths.size).toBe(1201);

    const subs = (await h.api('GET', '/api/v1/subscribers')).body as Array<{ webhookUrl: string; state: string }>;
    expect(subs.find((s) => s.webhookUrl.endsWith('/gone'))?.state).toBe('disabled');
    expect(subs.find((s) => s.webhookUrl.endsWith('/broken'))?.state).toBe('quarantined');
    expect(rx.received.filter((r) => r.path === '/gone')).toHaveLength(1);
    expect(rx.received.filter((r) => r.path === '/broken')).toHaveLength(2);
  });
});

describe('webhook SSRF guard at send time', () => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  it('refuses a loopback target stored earlier (private webhooks not allowed) without calling it', async () => {
    const rx = await receiver(() => 204);
    h = await startTestHerald({
      channels: [webhooks({ allowPrivate: false })],
      env: { HERALD_SECRET: randomSecret() },
    });
    await seedSubscribers(h.herald.store.db, 1, {
      kind: 'webhook',
      address: () => rx.url('/x').replace('http:', 'https:'),
      secret: () => `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
    });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'SSRF', message: 'x' });
    const row = await settled(h, opened.body.update.id, 'webhooks');
    expect(row).toMatchObject({ state: 'failed', failed: 1 });
    expect(rx.received).toHaveLength(0);
    await rx.close();
  });
});

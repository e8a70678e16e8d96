import { afterEach, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { confirmUrl, unsubscribeUrl } from '../../src/domain/link-tokens.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret, tableCounts } from '../helpers/subscribers.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';

// Subscriber storage and the public sign-up, on both databases.
describe.each(['sqlite', 'postgres'] as const)('subscribers on %s', (database) => {
  let h: TestHerald | undefined;
  let sink: SmtpSink | undefined;
  const secret = randomSecret();
  afterEach(async () => {
    await h?.close();
    await sink?.close();
    h = undefined;
  });

  async function start(env: Record<string, string> = {}) {
    sink = await startSmtpSink({ keep: true });
    h = await startTestHerald({
      database,
      channels: [email({ smtpUrl: sink.url, from: 'Status <status@example.test>' })],
      env: { HERALD_SECRET: secret, ...env },
    });
    return h;
  }
  const signup = (h: TestHerald, body: object | string, ip = '10.0.0.1', type = 'application/json') =>
    h.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': type },
      remoteAddress: ip,
    });

  it('double opt-in: same 202 for new and known addresses, one confirmation per window, confirm link works', async () => {
    const h = await start();
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const first = await signup(h, { email: 'Reader@Example.test', components: [api.id] });
    expect(first.statusCode).toBe(202);
    await eventually(() => sink!.messages.length === 1);
    const again = await signup(h, { email: 'reader@example.test', components: [api.id] }, '10.0.0.2');
    expect(again.statusCode).toBe(202);
    expect(again.body).toBe(first.body);
    await new Promise((r) => setTimeout(r, 200));
    expect(sink!.messages).toHaveLength(1); // at most one confirmation per address per window

    const list = (await h.api('GET', '/api/v1/subscribers')).body;
    expect(list).toEqual([
      expect.objectContaining({
        email: 'reader@example.test',
        confirmed: false,
        components: [api.id],
        state: 'active',
      }),
    ]);
    const raw = sink!.messages[0]!.raw.toString();
    const token = /subscribe\/confirm\?token=([\w.=-]+)/.exec(raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='))![1]!;
    const confirmed = await h.app.inject({ method: 'GET', url: `/subscribe/confirm?token=${token}` });
    expect(confirmed.statusCode).toBe(200);
    expect((await h.api('GET', '/api/v1/subscribers')).body[0].confirmed).toBe(true);

    // Form posts with components[] and the honeypot.
    const form = await signup(
      h,
      `email=form%40example.test&components%5B%5D=${api.id}`,
      '10.0.0.3',
      'application/x-www-form-urlencoded',
    );
    expect(form.statusCode).toBe(202);
    const before = await tableCounts(h.herald.store.db);
    const bot = await signup(h, { email: 'bot@example.test', website: 'http://spam.example' }, '10.0.0.4');
    expect(bot.statusCode).toBe(202);
    expect(bot.body).toBe(first.body);
    expect(await tableCounts(h.herald.store.db)).toEqual(before);
  });

  it('bad input gives clear 400s and stores nothing', async () => {
    const h = await start({ HERALD_SUBSCRIBE_RATE_PER_IP: '1000/60' });
    const known = (await h.api('POST', '/api/v1/subscribers', { email: 'known@example.test', confirmed: true })).body;
    const before = await tableCounts(h.herald.store.db);
    const cases: Array<[object, RegExp]> = [
      [{ email: 'not-an-email' }, /email: must be an email address/],
      [{ phone: '0123 456' }, /phone: must be an E\.164 number/],
      [{ phone: '+1415555010012345678' }, /phone: must be an E\.164 number/],
      [{ email: 'a@example.test', phone: '+14155550100' }, /exactly one of email, phone or webhookUrl/],
      [{}, /exactly one of email, phone or webhookUrl/],
      [{ email: 'a@example.test', components: ['nope'] }, /components: no component with id 'nope'/],
      [{ email: 'a@example.test', colour: 'red' }, /colour: is not a known field/],
    ];
    for (const [body, message] of cases) {
      const res = await signup(h, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().message).toMatch(message);
    }
    const admin: Array<[object, RegExp]> = [
      [{ webhookUrl: 'http://hooks.example.com/x' }, /webhookUrl: must use https/],
      [{ webhookUrl: 'https://127.0.0.1/x' }, /loopback/],
      [{ webhookUrl: 'https://2130706433/x' }, /127\.0\.0\.1/],
      [{ webhookUrl: 'https://0177.0.0.1/x' }, /127\.0\.0\.1/],
      [{ webhookUrl: 'https://0x7f.1/x' }, /127\.0\.0\.1/],
      [{ webhookUrl: 'https://127.1/x' }, /127\.0\.0\.1/],
      [{ webhookUrl: 'https://10.1.2.3/x' }, /private/],
      [{ webhookUrl: 'https://100.64.0.1/x' }, /CGNAT/],
      [{ webhookUrl: 'https://169.254.169.254/latest' }, /link-local/],
      [{ webhookUrl: 'https://[::1]/x' }, /loopback/],
      [{ webhookUrl: 'https://[fd00::1]/x' }, /unique-local/],
      [{ webhookUrl: 'https://[::ffff:127.0.0.1]/x' }, /IPv4-mapped/],
      [{ webhookUrl: 'https://localhost/x' }, /local name/],
      [{ webhookUrl: 'https://user:pw@hooks.example.com/x' }, /user name or password/],
      [{ email: 'x@example.test', components: ['missing'] }, /no component with id 'missing'/],
    ];
    for (const [body, message] of admin) {
      const res = await h.api('POST', '/api/v1/subscribers', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
    // Forged, expired (a confirmation link lasts 48 hours) and wrong-purpose tokens.
    const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
    const site = 'https://status.example.test';
    const forged = tokenOf(confirmUrl(site, 'another-secret', known.id));
    const expired = tokenOf(confirmUrl(site, secret, known.id, Date.now() - 48 * 3600_000 - 1_000));
    const wrongPurpose = tokenOf(unsubscribeUrl(site, secret, known.id));
    for (const [url, message] of [
      [`/subscribe/confirm?token=${forged}`, /not valid/],
      [`/subscribe/confirm?token=${expired}`, /expired/],
      [`/subscribe/confirm?token=${wrongPurpose}`, /not valid/],
      ['/subscribe/confirm?token=garbage', /not valid/],
      ['/subscribe/confirm', /not valid/],
      [`/unsubscribe?token=${forged.replace('confirm', 'unsubscribe')}`, /not valid/],
    ] as const) {
      const res = await h.app.inject({
        method: url.startsWith('/unsubscribe') ? 'POST' : 'GET',
        url,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.body).toMatch(message);
    }
    expect(await tableCounts(h.herald.store.db)).toEqual(before);
    expect(sink!.messages).toHaveLength(0);
  });

  it('rate-limits sign-ups per IP', async () => {
    const h = await start({ HERALD_SUBSCRIBE_RATE_PER_IP: '2/60' });
    expect((await signup(h, { email: 'a@example.test' }, '10.9.9.9')).statusCode).toBe(202);
    expect((await signup(h, { email: 'b@example.test' }, '10.9.9.9')).statusCode).toBe(202);
    const third = await signup(h, { email: 'c@example.test' }, '10.9.9.9');
    expect(third.statusCode).toBe(429);
    expect(third.json().message).toMatch(/too many sign-ups/);
    expect((await signup(h, { email: 'c@example.test' }, '10.9.9.8')).statusCode).toBe(202);
  });

  it('imports in bulk: invalid rows reported by index, duplicates and suppressed skipped', async () => {
    const h = await start();
    const res = await h.api('POST', '/api/v1/subscribers/import', {
      confirmed: true,
      subscribers: [
        { email: 'one@example.test' },
        { email: 'bad' },
        { phone: '+14155550100' },
        { email: 'one@example.test' },
        { email: 'two@example.test', components: ['zzz'] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, existing: 1, suppressed: 0 });
    expect(res.body.invalid.map((i: { index: number }) => i.index)).toEqual([1, 4]);
    const again = await h.api('POST', '/api/v1/subscribers/import', { subscribers: [{ email: 'one@example.test' }] });
    expect(again.body).toMatchObject({ created: 0, existing: 1 });
    const list = (await h.api('GET', '/api/v1/subscribers')).body;
    expect(list).toHaveLength(2);
    expect((await h.api('DELETE', `/api/v1/subscribers/${list[0].id}`)).status).toBe(204);
  });
});

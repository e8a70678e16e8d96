import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelDefinition } from '../../src/config/define.js';
import { email } from '../../src/channels/email/index.js';
import { sms } from '../../src/channels/sms/index.js';
import { statuspage } from '../../src/channels/statuspage/index.js';
import { webhooks } from '../../src/channels/webhooks/index.js';
import { manageUrl } from '../../src/domain/link-tokens.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret, tableCounts } from '../helpers/subscribers.js';

// What subscribe.html offers follows the configured audience channels; POST /subscribe refuses the rest, and answers
// a browser with a page and a script with JSON.
const EMAIL = () => email({ smtpUrl: 'smtp://127.0.0.1:9', from: 'Status <status@example.test>' });
const SMS = () =>
  sms({ apiUrl: 'http://127.0.0.1:9', accountSid: 'AC0123456789', authToken: 'token', from: '+15005550006' });
const HOOKS = () => webhooks({ allowPrivate: true });
const ACCEPTED = {
  status: 'check_your_inbox',
  message:
    'Thanks. If this address can receive updates, a confirmation message is on its way: follow its link to start getting updates.',
};

describe('sign-up offers only the configured kinds', () => {
  const running: TestHerald[] = [];
  afterEach(async () => {
    for (const h of running.splice(0)) await h.close();
  });
  const start = async (channels: ChannelDefinition[]) => {
    const h = await startTestHerald({
      channels: [statuspage(), ...channels],
      workers: false,
      env: { HERALD_SUBSCRIBE_RATE_PER_IP: '1000/60', HERALD_ALLOW_PRIVATE_WEBHOOKS: '1', HERALD_SECRET: secret },
    });
    running.push(h);
    return h;
  };
  const secret = randomSecret();
  const post = (h: TestHerald, payload: string, headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: '/subscribe', payload, headers });
  const json = (h: TestHerald, body: object) =>
    post(h, JSON.stringify(body), { 'content-type': 'application/json', accept: 'application/json' });
  const ask = {
    email: { email: 'reader@example.test' },
    sms: { phone: '+14155550100' },
    webhook: { webhookUrl: 'http://127.0.0.1:9/hook' },
  } as const;
  const refusal = {
    email: 'email: email subscriptions are not enabled on this status page',
    sms: 'phone: SMS subscriptions are not enabled on this status page',
    webhook: 'webhookUrl: webhook subscriptions are not enabled on this status page',
  } as const;

  const cases: Array<[string, () => ChannelDefinition[], Array<keyof typeof ask>]> = [
    ['email only', () => [EMAIL()], ['email']],
    ['SMS only', () => [SMS()], ['sms']],
    ['webhooks only', () => [HOOKS()], ['webhook']],
    ['email, SMS and webhooks', () => [EMAIL(), SMS(), HOOKS()], ['email', 'sms', 'webhook']],
    ['none', () => [], []],
  ];
  it.each(cases)(
    '%s: the page offers it, the API takes it and refuses the others, storing nothing',
    async (_, channels, on) => {
      const h = await start(channels());
      await h.app.inject({ method: 'GET', url: '/' }); // the first request builds the site
      const page = (await h.app.inject({ method: 'GET', url: '/subscribe.html' })).body;
      expect(page.includes('name="email"'), 'email field').toBe(on.includes('email'));
      expect(page.includes('name="phone"'), 'phone field').toBe(on.includes('sms'));
      expect(page.includes('name="webhookUrl"'), 'webhook field').toBe(on.includes('webhook'));
      expect(page.includes('id="subscribe-form"')).toBe(on.length > 0);
      if (on.length === 0) {
        expect(page).toContain('No sign-up on this page');
        expect(page).toContain('href="history.atom"');
      }
      for (const kind of ['email', 'sms', 'webhook'] as const) {
        const before = await tableCounts(h.herald.store.db);
        const res = await json(h, ask[kind]);
        if (on.includes(kind)) {
          expect(res.statusCode, kind).toBe(202);
          expect(res.json()).toEqual(ACCEPTED);
          expect((await tableCounts(h.herald.store.db)).subscribers).toBe(before.subscribers + 1);
        } else {
          expect(res.statusCode, kind).toBe(400);
          expect(res.json()).toEqual({
            error: 'invalid_request',
            message: refusal[kind],
            details: [{ field: refusal[kind].split(':')[0], problem: refusal[kind].split(': ')[1] }],
          });
          expect(await tableCounts(h.herald.store.db)).toEqual(before);
        }
      }
    },
  );

  it('the preference page offers SMS only when the SMS channel is configured', async () => {
    const h = await start([EMAIL()]);
    const reader = (await h.api('POST', '/api/v1/subscribers', { email: 'm@example.test', confirmed: true })).body;
    const url = new URL(manageUrl('https://status.example.test', secret, reader.id));
    const page = await h.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('name="phone"');
    const before = await tableCounts(h.herald.store.db);
    const sneaked = await h.app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      payload: 'scope=all&keep=on&phone=%2B14155550100',
    });
    expect(sneaked.statusCode).toBe(400);
    expect(sneaked.json().message).toBe('phone: SMS updates are not offered on this status page');
    expect(await tableCounts(h.herald.store.db)).toEqual(before);

    // An email subscriber when only SMS is configured: the page says nothing goes to the address for now.
    const smsOnly = await start([SMS()]);
    const kept = (await smsOnly.api('POST', '/api/v1/subscribers', { email: 'k@example.test', confirmed: true })).body;
    const link = new URL(manageUrl('https://status.example.test', secret, kept.id));
    const smsPage = (await smsOnly.app.inject({ method: 'GET', url: link.pathname + link.search })).body;
    expect(smsPage).toContain('name="phone"');
    expect(smsPage).toContain("none sent at the moment: this status page's email channel is off");
  });

  it('answers by Accept, then by the body: a browser form gets a page, a script JSON', async () => {
    const h = await start([EMAIL()]);
    const form = 'email=reader%40example.test';
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    const jsonType = { 'content-type': 'application/json' };
    const body = JSON.stringify({ email: 'reader@example.test' });
    const cases: Array<[string, string, Record<string, string>, 'html' | 'json']> = [
      ['a form, no Accept', form, formType, 'html'],
      ['a form, Accept */*', form, { ...formType, accept: '*/*' }, 'html'],
      ['a browser form', form, { ...formType, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }, 'html'],
      ['a form asking for JSON', form, { ...formType, accept: 'application/json' }, 'json'],
      ['JSON, no Accept', body, jsonType, 'json'],
      ['JSON, Accept */*', body, { ...jsonType, accept: '*/*' }, 'json'],
      ['JSON asking for a page', body, { ...jsonType, accept: 'text/html' }, 'html'],
      ['JSON preferred by q', form, { ...formType, accept: 'text/html;q=0.5, application/json' }, 'json'],
    ];
    for (const [name, payload, headers, expected] of cases) {
      const res = await post(h, payload, headers);
      expect(res.statusCode, name).toBe(202);
      if (expected === 'json') expect(res.json(), name).toEqual(ACCEPTED);
      else {
        expect(res.headers['content-type'], name).toMatch(/^text\/html/);
        expect(res.body, name).toContain('<h1>Check your inbox</h1>');
        expect(res.body, name).toContain('What happens next');
        expect(res.body, name).toContain('<strong>reader@example.test</strong>');
      }
    }
    const phone = await start([SMS()]);
    const sent = await post(phone, 'phone=%2B14155550100', formType);
    expect(sent.body).toContain('<h1>Check your phone</h1>');
  });

  it('a refused form comes back with the entries kept and escaped, and the problem named', async () => {
    const h = await start([EMAIL(), SMS()]);
    const api = (await h.api('POST', '/api/v1/components', { name: 'API', group: 'Core' })).body.id;
    const db = (await h.api('POST', '/api/v1/components', { name: 'Database', group: 'Core' })).body.id;
    const web = (await h.api('POST', '/api/v1/components', { name: 'Website' })).body.id;
    const before = await tableCounts(h.herald.store.db);
    const hostile = '"><script>alert(1)</script><b x="';
    const fields = new URLSearchParams();
    fields.append('email', hostile);
    fields.append('components[]', web);
    const res = await post(h, fields.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('Email address: must be an email address such as ops@example.com');
    expect(res.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b x&#x3D;&quot;"');
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).toMatch(/<input id="email" name="email"[^>]*aria-invalid="true"/);
    expect(res.body).toContain(`value="${web}" checked> Website`);
    expect(res.body).toContain(`value="${api}"> API`);
    expect(res.body).toContain('action="https://status.example.test/subscribe"');
    expect(await tableCounts(h.herald.store.db)).toEqual(before);

    // Nothing entered, or two at once: said with the form's own fields.
    const empty = await post(h, `components%5B%5D=${web}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter one of these: an email address or a mobile number.');
    expect(empty.body).toContain(`value="${web}" checked> Website`);

    // A kind that is off, from a stale page or a script: named, nothing stored.
    const off = await start([EMAIL()]);
    const refused = await post(off, 'phone=%2B14155550100', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Mobile number: SMS subscriptions are not enabled on this status page.');
    const nothing = await post(off, '', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(nothing.body).toContain('Enter an email address.');

    // A whole group stands for its components; an unknown group is named.
    const group = await post(h, `email=g%40example.test&groups%5B%5D=Core&components%5B%5D=${web}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(group.statusCode).toBe(202);
    const subscriber = (await h.api('GET', '/api/v1/subscribers')).body.find(
      (s: { email?: string }) => s.email === 'g@example.test',
    );
    expect([...subscriber.components].sort()).toEqual([api, db, web].sort());
    const unknown = await json(h, { email: 'u@example.test', groups: ['Nope'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toBe("groups: no component group named 'Nope'; reload the page and choose again");
    const kept = await post(h, 'email=bad&groups%5B%5D=Core', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(kept.body).toContain('value="Core" checked> All of Core');
  });

  it('link pages state their problem as a sentence', async () => {
    const h = await start([EMAIL()]);
    for (const url of ['/subscribe/confirm?token=x', '/unsubscribe?token=x', '/subscribe/manage?token=x']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.body, url).toMatch(/<p>This (confirmation |unsubscribe )?link is not valid/);
    }
  });
});

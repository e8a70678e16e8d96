import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { sms } from '../../src/channels/sms/index.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret } from '../helpers/subscribers.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { type TwilioFake, startTwilioFake } from '../fakes/twilio-fake.js';

const READER = 'reader@example.test';

// The "Manage subscription" link of every email, followed as a reader would: the page shows their choices, a POST
// saves them, and the next update goes by the new choices.
describe('the preference page behind the Manage subscription link', () => {
  let h: TestHerald;
  let sink: SmtpSink;
  let twilio: TwilioFake;
  let api = '';
  let web = '';
  let manage = '';
  let secret = '';

  beforeAll(async () => {
    sink = await startSmtpSink({ keep: true });
    twilio = await startTwilioFake();
    secret = randomSecret();
    h = await startTestHerald({
      channels: [
        email({ smtpUrl: sink.url, from: 'Example Status <status@example.test>' }),
        sms({ apiUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15005550006' }),
      ],
      env: { HERALD_SECRET: secret },
    });
    api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    web = (await h.api('POST', '/api/v1/components', { name: 'Website', group: 'Web' })).body.id;
    await h.api('POST', '/api/v1/subscribers', { email: READER, components: [api], confirmed: true });
  });
  afterAll(async () => {
    await h?.close();
    await sink?.close();
    await twilio?.close();
  });

  const mailsToReader = () => sink.messages.filter((m) => m.to.includes(READER));

  async function publish(component: string, message: string) {
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: `Incident on ${component === api ? 'API' : 'Website'}`,
      message,
      components: { [component]: 'major_outage' },
    });
    expect(opened.status).toBe(201);
    await eventually(async () => {
      const res = await h.api('GET', `/api/v1/updates/${opened.body.update.id}/deliveries`);
      const row = res.body.channels.find((c: { channel: string }) => c.channel === 'email');
      return row && ['delivered', 'partial', 'failed', 'skipped'].includes(row.state) ? row : undefined;
    }, 20_000);
  }

  const form = (fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    return body.toString();
  };
  const post = (url: string, fields: Record<string, string | string[]>, accept = 'text/html') =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
      payload: form(fields),
    });

  it('every email links to the page, which shows the reader their components and channels', async () => {
    await publish(api, 'API errors.');
    const mail = await simpleParser(mailsToReader().at(-1)!.raw);
    manage = /href="https:\/\/status\.example\.test(\/subscribe\/manage\?token=[^"]+)"[^>]*>Manage subscription/
      .exec(String(mail.html))![1]!
      .replace(/&amp;/g, '&');
    const page = await h.app.inject({ method: 'GET', url: manage });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain(`Updates for <strong>${READER}</strong>`);
    expect(page.body).toContain(`<input type="checkbox" name="components" value="${api}" checked> <span>API</span>`);
    expect(page.body).toContain(`<input type="checkbox" name="components" value="${web}"> <span>Website`);
    expect(page.body).toContain('<input type="radio" name="scope" value="some" checked>');
    expect(page.body).toContain(`<input type="checkbox" name="keep" value="on" checked> <span>Email to ${READER}`);
    expect(page.body).toContain('name="phone"');
  });

  it('refuses a forged, altered or other-purpose token, changing nothing', async () => {
    const token = new URL(`https://x${manage}`).searchParams.get('token')!;
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [forged, token.replace(/^manage\./, 'unsubscribe.'), 'nonsense']) {
      const answer = await h.app.inject({ method: 'GET', url: `/subscribe/manage?token=${encodeURIComponent(bad)}` });
      expect(answer.statusCode).toBe(400);
      expect(answer.body).toMatch(/This link is not valid/);
      expect(
        (await post(`/subscribe/manage?token=${encodeURIComponent(bad)}`, { scope: 'all', keep: 'on' })).statusCode,
      ).toBe(400);
    }
  });

  it('bad choices get the form again naming the problem (JSON for scripts), nothing saved', async () => {
    const none = await post(manage, { scope: 'some', keep: 'on' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Not saved.');
    expect(none.body).toContain('Components: tick at least one component');
    const unknown = await post(manage, { scope: 'some', components: ['nope'], keep: 'on' }, 'application/json');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ details: [{ field: 'components' }] });
    const phone = await post(manage, { scope: 'all', keep: 'on', phone: '0151 555' });
    expect(phone.body).toContain('Phone: must be an E.164 number');
    const subscriber = (await h.api('GET', '/api/v1/subscribers')).body.find(
      (s: { email: string }) => s.email === READER,
    );
    expect(subscriber.components).toEqual([api]);
  });

  it('a saved choice applies from the next update', async () => {
    const before = mailsToReader().length;
    await publish(web, 'Website down.');
    expect(mailsToReader().length).toBe(before); // not following Website yet
    const saved = await post(manage, { scope: 'some', components: [api, web], keep: 'on' });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Saved.');
    expect(saved.body).toContain(`value="${web}" checked`);
    await publish(web, 'Website down again.');
    expect(mailsToReader().length).toBe(before + 1);
    expect((await simpleParser(mailsToReader().at(-1)!.raw)).subject).toBe('[Investigating] Incident on Website');
  });

  it('adds SMS with a double opt-in, and unticking email unsubscribes', async () => {
    const sent = await post(manage, { scope: 'all', keep: 'on', phone: '+14155550177' });
    expect(sent.body).toContain('A confirmation SMS is on its way');
    const confirmation = await eventually(async () => twilio.messages.find((m) => m.to === '+14155550177'), 20_000);
    expect(confirmation.body).toMatch(
      /confirm status updates by SMS: https:\/\/status\.example\.test\/subscribe\/confirm\?token=/,
    );
    const stop = await post(manage, { scope: 'all' });
    expect(stop.body).toContain('status updates here any more.');
    const before = mailsToReader().length;
    await publish(api, 'API errors again.');
    expect(mailsToReader().length).toBe(before);
    expect((await h.app.inject({ method: 'GET', url: manage })).body).toMatch(/no longer exists/);
  });

  it('the unsubscribe page offers the preference page instead', async () => {
    const other = (await h.api('POST', '/api/v1/subscribers', { email: 'other@example.test', confirmed: true })).body;
    await publish(api, 'Another API incident.');
    const mail = await simpleParser(sink.messages.filter((m) => m.to.includes('other@example.test')).at(-1)!.raw);
    const unsubscribe = /href="https:\/\/status\.example\.test(\/unsubscribe\?token=[^"]+)"/.exec(
      String(mail.html),
    )![1]!;
    const page = await h.app.inject({ method: 'GET', url: unsubscribe.replace(/&amp;/g, '&') });
    const link =
      /href="https:\/\/status\.example\.test(\/subscribe\/manage\?token=[^"]+)">manage your subscription/.exec(
        page.body,
      )?.[1];
    expect(link).toBeDefined();
    const managePage = await h.app.inject({ method: 'GET', url: link!.replace(/&amp;/g, '&') });
    expect(managePage.body).toContain('Updates for <strong>other@example.test</strong>');
    expect(other.id).toBeDefined();
  });
});

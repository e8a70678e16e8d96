import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { sms } from '../../src/channels/sms/index.js';
import { twilioSignature } from '../../src/channels/sms/inbound.js';
import { eventually } from '../helpers/env.js';
import { deliveredEverywhere, startTestHerald, type TestHerald } from '../helpers/herald.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';

// The page at one address (HERALD_PUBLIC_URL), Herald at another (HERALD_APP_URL): links to the page point at the
// page, links that need Herald to answer point at Herald.
const PAGE = 'https://status.example.test';
const APP = 'https://herald.example.test';

describe('HERALD_APP_URL apart from HERALD_PUBLIC_URL', () => {
  let h: TestHerald;
  let sink: SmtpSink;
  const TWILIO_TOKEN = 'twilio-auth-token';

  beforeAll(async () => {
    sink = await startSmtpSink({ keep: true });
    h = await startTestHerald({
      workers: true,
      env: { HERALD_PUBLIC_URL: PAGE, HERALD_APP_URL: APP, HERALD_SECRET: 'app-url-secret' },
      channels: [
        email({ smtpUrl: sink.url, from: 'Status <status@example.test>' }),
        sms({ accountSid: 'AC1', authToken: TWILIO_TOKEN, from: '+15005550006', apiUrl: 'http://127.0.0.1:9' }),
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
    await sink?.close();
  });

  it('confirm and unsubscribe links go to the app; the incident link goes to the page', async () => {
    const signup = await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: 'email=reader%40example.org',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
    expect(signup.statusCode).toBe(202);
    // No status page channel here: no way back to a page that does not exist (public-pages-links.test.ts has both).
    expect(signup.body).not.toContain(`href="${PAGE}`);
    await eventually(() => sink.messages.length === 1);
    const confirmation = await simpleParser(sink.messages[0]!.raw);
    const confirmLink = new RegExp(`${APP}/subscribe/confirm\\?token=[\\w.=-]+`).exec(confirmation.text ?? '')?.[0];
    expect(confirmLink).toBeDefined();
    const confirmed = await h.app.inject({ method: 'GET', url: confirmLink!.slice(APP.length) });
    expect(confirmed.statusCode).toBe(200);

    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Slow checkout',
      message: 'Looking into it.',
      channels: ['email'],
    });
    await deliveredEverywhere(h, opened.body.update.id);
    await eventually(() => sink.messages.length === 2);
    const update = await simpleParser(sink.messages[1]!.raw);
    expect(update.text).toContain(`${PAGE}/incidents/${opened.body.incident.id}.html`);
    expect(update.text).not.toContain(`${PAGE}/unsubscribe`);
    const header = update.headerLines.find((l) => l.key === 'list-unsubscribe')?.line.replace(/\r?\n\s+/g, '') ?? '';
    expect(/<([^>]+)>/.exec(header)?.[1]).toMatch(new RegExp(`^${APP}/unsubscribe\\?token=`));
  });

  it("Twilio's inbound signature is checked against the app URL", async () => {
    const params = { From: '+14155550104', To: '+15005550006', Body: 'hello', MessageSid: 'SM1', AccountSid: 'AC1' };
    const post = (signature: string) =>
      h.app.inject({
        method: 'POST',
        url: '/sms/inbound',
        payload: new URLSearchParams(params).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      });
    expect((await post(twilioSignature(TWILIO_TOKEN, `${PAGE}/sms/inbound`, params))).statusCode).toBe(403);
    expect((await post(twilioSignature(TWILIO_TOKEN, `${APP}/sms/inbound`, params))).statusCode).toBe(200);
  });
});

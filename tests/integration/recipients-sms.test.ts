import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sms } from '../../src/channels/sms/index.js';
import { segmentsOf } from '../../src/channels/sms/segments.js';
import { toGsmForms } from '../../src/channels/sms/transliterate.js';
import { shortCodeOf } from '../../src/domain/short-links.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { HOSTILE_CORPUS, WE_ARE } from '../helpers/hostile-corpus.js';
import { randomSecret } from '../helpers/subscribers.js';
import { type TwilioFake, startTwilioFake } from '../fakes/twilio-fake.js';

// The SMS each subscriber receives, read from the Twilio fake's form bodies after the whole pipeline ran.
describe('SMS at the wire: the message always arrives', () => {
  let h: TestHerald;
  let twilio: TwilioFake;
  let componentId = '';
  const PHONE = '+14155550142';

  beforeAll(async () => {
    twilio = await startTwilioFake();
    h = await startTestHerald({
      channels: [
        sms({ apiUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15005550006' }),
      ],
      env: { HERALD_SECRET: randomSecret() },
    });
    expect((await h.api('POST', '/api/v1/subscribers', { phone: PHONE, confirmed: true })).status).toBe(201);
    componentId = (await h.api('POST', '/api/v1/components', { name: 'Checkout API' })).body.id;
  });
  afterAll(async () => {
    await h?.close();
    await twilio?.close();
  });

  async function smsFor(title: string, message: string, components: Record<string, string> = {}) {
    const before = twilio.messages.length;
    const opened = await h.api('POST', '/api/v1/incidents', { title, message, components });
    expect(opened.status).toBe(201);
    const body = await eventually(async () => twilio.messages[before]?.body, 20_000, 50);
    return { body, incidentId: opened.body.incident.id as string };
  }

  it('a curly apostrophe no longer costs the message: GSM-7, message start, components, short link', async () => {
    const { body, incidentId } = await smsFor('Checkout errors for card payments in the EU and UK regions', WE_ARE, {
      [componentId]: 'major_outage',
    });
    expect(segmentsOf(body)).toMatchObject({ encoding: 'GSM-7' });
    expect(segmentsOf(body).segments).toBeLessThanOrEqual(2);
    expect(body).toContain("We're seeing elevated error rates at checkout - about 20 % of card payments fail");
    expect(body).toContain('"card declined"...');
    expect(body).toContain(`https://status.example.test/i/${shortCodeOf(incidentId)}`);
    expect(body).not.toContain('/incidents/');
    expect(body.endsWith('Reply STOP to unsubscribe')).toBe(true);
    // Cut at a sentence: the meaning of what is kept does not change.
    expect(body).toContain('Orders already confirmed are not affected. ...');
  });

  it('names the affected components when they fit, and what recovered after resolution', async () => {
    const { body, incidentId } = await smsFor('Checkout errors', 'We’re rolling back.', {
      [componentId]: 'major_outage',
    });
    // All of it fits: the incident page's own address, as every channel carries it.
    expect(body).toContain(
      `We're rolling back.\nAffected: Checkout API\nhttps://status.example.test/incidents/${incidentId}.html`,
    );
    await h.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: 'Fixed.', status: 'resolved' });
    const resolved = await eventually(
      async () => twilio.messages.find((m) => m.body.includes('Fixed.'))?.body,
      20_000,
      50,
    );
    expect(resolved).toContain('Recovered: Checkout API');
  });

  it.each(HOSTILE_CORPUS)('$name: the SMS starts the message and fits two segments', async (entry) => {
    const { body, incidentId } = await smsFor(entry.title, entry.message);
    expect(segmentsOf(body).segments).toBeLessThanOrEqual(2);
    expect(body).toContain(toGsmForms(entry.start));
    // The page's address when all of it fits, else the short link.
    expect(body).toMatch(
      new RegExp(`https://status\\.example\\.test/(i/${shortCodeOf(incidentId)}|incidents/${incidentId}\\.html)\n`),
    );
    // Lists stay one item a line; no Markdown markers or a marker left dangling before a cut.
    expect(body).not.toMatch(/\*\*|^#+ |\n\s*[-*]\s*(\.\.\.|…)?\n/m);
    // A cut never leaves half a link.
    for (const link of body.match(/https?:\/\/\S+/g) ?? []) expect(link).not.toMatch(/(\.\.\.|…)$/);
  });

  it('an emoji keeps UCS-2, and the title is shortened before the message is', async () => {
    const title = 'Payment processing unavailable for every card scheme in every region we serve today';
    const { body } = await smsFor(title, `😱 ${'Card payments fail at checkout; we are rolling back. '.repeat(4)}`);
    expect(segmentsOf(body)).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(body).not.toContain(title);
    expect(body).toContain('😱 Card payments fail at checkout');
  });

  it('the short link redirects to the incident page', async () => {
    const { incidentId } = await smsFor('Short link', 'Checking the short link.');
    const answer = await h.app.inject({ method: 'GET', url: `/i/${shortCodeOf(incidentId)}` });
    expect(answer.statusCode).toBe(302);
    expect(answer.headers.location).toBe(`https://status.example.test/incidents/${incidentId}.html`);
    expect(shortCodeOf(incidentId)).toBe(shortCodeOf(incidentId));
    expect(shortCodeOf(incidentId).length).toBeLessThan(incidentId.length);
    const unknown = await h.app.inject({ method: 'GET', url: '/i/zzzzzzzzzzzzz' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/no incident has the short link code/);
    expect((await h.app.inject({ method: 'GET', url: '/i/%3Cscript%3E' })).statusCode).toBe(404);
  });
});

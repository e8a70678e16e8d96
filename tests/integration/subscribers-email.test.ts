import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret } from '../helpers/subscribers.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';

const settled = (h: TestHerald, updateId: string, channel = 'email') =>
  eventually(async () => {
    const res = await h.api('GET', `/api/v1/updates/${updateId}/deliveries`);
    const row = res.body.channels.find((c: { channel: string }) => c.channel === channel);
    return row && ['delivered', 'partial', 'failed', 'skipped'].includes(row.state) ? row : undefined;
  }, 20_000);

const headerLine = (lines: ReadonlyArray<{ key: string; line: string }>, key: string) =>
  lines.filter((l) => l.key === key).map((l) => l.line.replace(/\r?\n[ \t]+/g, ' '));

describe('email channel through a real SMTP server', () => {
  let h: TestHerald | undefined;
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await h?.close();
    await sink?.close();
    h = undefined;
    sink = undefined;
  });

  async function start(reject?: (a: string) => { code: number; message: string } | undefined) {
    sink = await startSmtpSink({ keep: true, reject });
    h = await startTestHerald({
      channels: [
        email({
          smtpUrl: sink.url,
          from: 'Example Status <status@example.test>',
          unsubscribeMailto: 'unsubscribe@example.test',
        }),
      ],
      env: { HERALD_SECRET: randomSecret() },
    });
    return h;
  }

  it('sends one message per matching confirmed subscriber, with one-click unsubscribe and threading', async () => {
    const h = await start();
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const web = (await h.api('POST', '/api/v1/components', { name: 'Website' })).body;
    const all = (await h.api('POST', '/api/v1/subscribers', { email: 'All@Example.test', confirmed: true })).body;
    await h.api('POST', '/api/v1/subscribers', { email: 'api@example.test', components: [api.id], confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { email: 'web@example.test', components: [web.id], confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { email: 'pending@example.test' }); // not confirmed: the opt-in mail goes out, no updates

    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'API errors',
      message: 'We see **errors** <script>x</script>',
      components: { [api.id]: 'major_outage' },
    });
    expect(opened.status).toBe(201);
    const first = await settled(h, opened.body.update.id);
    expect(first).toMatchObject({ state: 'delivered', total: 2, delivered: 2, failed: 0, pending: 0 });

    const updates = sink!.messages.filter((m) => !m.to.includes('pending@example.test'));
    expect(updates.map((m) => m.to[0]).sort()).toEqual(['all@example.test', 'api@example.test']);
    const mail = await simpleParser(updates.find((m) => m.to[0] === 'all@example.test')!.raw);
    expect(mail.subject).toBe('[Investigating] API errors');
    expect(mail.text).toContain(`https://status.example.test/incidents/${opened.body.incident.id}.html`);
    expect(mail.html).toContain('<strong>errors</strong>');
    expect(mail.html).not.toContain('<script>');
    const listUnsubscribe = headerLine(mail.headerLines, 'list-unsubscribe');
    expect(listUnsubscribe).toHaveLength(1);
    expect(listUnsubscribe[0]).toMatch(
      /^List-Unsubscribe: <https:\/\/status\.example\.test\/unsubscribe\?token=unsubscribe\.[0-9a-z]+\.\d+\.[\w-]+>, <mailto:unsubscribe@example\.test\?subject=unsubscribe>$/,
    );
    expect(headerLine(mail.headerLines, 'list-unsubscribe-post')).toEqual([
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    ]);
    const root = mail.messageId!;
    expect(root).toBe(`<incident-${opened.body.incident.id}.${all.id}@status.example.test>`);
    const link = /<(https:[^>]+)>/.exec(listUnsubscribe[0]!)![1]!;
    expect(mail.text).toContain(link);

    // A later update threads under the first message, for the same recipient.
    const next = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'Fixed.',
      status: 'resolved',
    });
    await settled(h, next.body.update.id);
    const later = await Promise.all(
      sink!.messages.filter((m) => m.to[0] === 'all@example.test').map((m) => simpleParser(m.raw)),
    );
    expect(later).toHaveLength(2);
    expect(later[1]!.inReplyTo).toBe(root);
    expect(later[1]!.references).toBe(root);
    expect(later[1]!.messageId).not.toBe(root);

    // One-click unsubscribe: the GET only shows a button; the POST unsubscribes and leaves a hash behind.
    const url = new URL(link);
    const shown = await h.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('<form method="post"');
    expect((await h.api('GET', '/api/v1/subscribers')).body.map((s: { email: string }) => s.email)).toContain(
      'all@example.test',
    );
    const done = await h.app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(done.statusCode).toBe(200);
    expect((await h.api('GET', '/api/v1/subscribers')).body.map((s: { email: string }) => s.email)).not.toContain(
      'all@example.test',
    );
    const suppression = await h.herald.store.db.selectFrom('suppressions').selectAll().execute();
    expect(suppression).toHaveLength(1);
    expect(JSON.stringify(suppression)).not.toContain('all@example.test');
    // Re-import skips it; an admin add is refused.
    const imported = await h.api('POST', '/api/v1/subscribers/import', {
      subscribers: [{ email: 'all@example.test' }, { email: 'new@example.test' }],
      confirmed: true,
    });
    expect(imported.body).toMatchObject({ created: 1, suppressed: 1, existing: 0 });
    expect((await h.api('POST', '/api/v1/subscribers', { email: 'all@example.test', confirmed: true })).status).toBe(
      409,
    );
    // Unsubscribing twice is fine.
    expect((await h.app.inject({ method: 'POST', url: url.pathname + url.search })).statusCode).toBe(200);
  });

  it('records a hard bounce as failed and suppresses the address; a 4xx is retried', async () => {
    let tempFailures = 1;
    const h = await start((address) => {
      if (address === 'gone@example.test') return { code: 550, message: '5.1.1 No such user' };
      if (address === 'busy@example.test' && tempFailures-- > 0) return { code: 451, message: '4.3.0 Try again later' };
      return undefined;
    });
    for (const address of ['ok@example.test', 'gone@example.test', 'busy@example.test']) {
      expect((await h.api('POST', '/api/v1/subscribers', { email: address, confirmed: true })).status).toBe(201);
    }
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Slow', message: 'Slow.' });
    const row = await settled(h, opened.body.update.id);
    expect(row).toMatchObject({ state: 'partial', total: 3, delivered: 2, failed: 1 });
    expect([...sink!.counts.entries()].sort()).toEqual([
      ['busy@example.test', 1],
      ['ok@example.test', 1],
    ]);
    const subscribers = (await h.api('GET', '/api/v1/subscribers')).body as Array<{ email: string; state: string }>;
    expect(subscribers.find((s) => s.email === 'gone@example.test')?.state).toBe('suppressed');

    // The next update skips the suppressed address.
    const next = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, { message: 'Better.' });
    expect(await settled(h, next.body.update.id)).toMatchObject({ state: 'delivered', total: 2, delivered: 2 });
  });

  it('is skipped when nobody matches', async () => {
    const h = await start();
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Quiet', message: 'Nobody listens.' });
    expect(await settled(h, opened.body.update.id)).toMatchObject({ state: 'skipped', total: 0 });
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { CadenceReminders } from '../../src/console/cadence-reminders.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { addUser } from './console-helpers.js';

const ALERT_TOKEN = 'alert-token-paging-0123456789';

/** A Slack-compatible incoming webhook on 127.0.0.1 that keeps each {text}. */
async function chatHook() {
  const received: Array<{ text: string }> = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push(JSON.parse(body) as { text: string });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('commanders are paged about a new draft', () => {
  let h: TestHerald;
  let sink: SmtpSink;
  let hook: Awaited<ReturnType<typeof chatHook>>;

  beforeAll(async () => {
    sink = await startSmtpSink({ keep: true });
    hook = await chatHook();
    h = await startTestHerald({
      channels: [email({ smtpUrl: sink.url, from: 'Status <status@example.test>' })],
      workers: true,
      env: {
        HERALD_ALERT_TOKEN: ALERT_TOKEN,
        HERALD_REMINDER_WEBHOOK_URL: hook.url,
        HERALD_ALERT_AUTOPUBLISH_MINUTES: '20',
        // The reminder clock of the engine stays out of the way: the test runs the check itself.
        HERALD_REMINDER_INTERVAL_SECONDS: '3600',
      },
    });
    await addUser(h, 'oncall@example.com', 'commander');
    await addUser(h, 'lead', 'commander');
    await addUser(h, 'watcher@example.com', 'viewer');
    await h.api('POST', '/api/v1/components', { name: 'API' });
  });
  afterAll(async () => {
    await h?.close();
    await sink?.close();
    await hook?.close();
  });

  it('chat and email carry the draft, its link and what happens next, once; cadence reminders pick it up', async () => {
    const body = readFileSync(join(import.meta.dirname, '../fixtures/alerts/alertmanager-firing.json'), 'utf8');
    const post = () =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/alerts/alertmanager',
        headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
        payload: body,
      });
    const { incidentId } = (await post()).json();
    const link = `https://status.example.test/console/drafts/${incidentId}`;

    await eventually(() => hook.received.length === 1 && sink.messages.length === 1, 15_000);
    const chat = hook.received[0]!.text;
    expect(chat).toContain('New draft incident from alertmanager: "API error rate is high"');
    expect(chat).toContain('API (Major outage)');
    expect(chat).toContain(link);
    expect(chat).toMatch(/a holding statement goes out at .+ \(in 20 min\)/);

    const mail = await simpleParser(sink.messages[0]!.raw);
    expect(sink.messages[0]!.to).toEqual(['oncall@example.com']);
    expect(mail.subject).toBe('Draft incident from alertmanager: API error rate is high');
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.text).toContain('holding statement goes out');
    // A message to Herald's own people: no subscriber's unsubscribe headers.
    expect(mail.headers.get('list-unsubscribe')).toBeUndefined();

    // Alertmanager resends the group: no second page.
    await post();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(hook.received).toHaveLength(1);
    expect(sink.messages).toHaveLength(1);

    const checker = new CadenceReminders({
      db: h.herald.store.db,
      cadence: { firstMinutes: 10, nextMinutes: 30 },
      webhookUrl: hook.url,
      appUrl: h.herald.env.appUrl,
      logger: h.herald.logger,
    });
    const draft = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    const at = (minutes: number) => new Date(Date.parse(draft.createdAt) + minutes * 60_000);
    expect(await checker.check(at(5))).toBe(0);
    const [a, b] = await Promise.all([checker.check(at(11)), checker.check(at(11))]);
    expect(a + b).toBe(1);
    expect(hook.received[1]!.text).toContain('Reminder: a draft has waited 11 min for a commander.');
    expect(hook.received[1]!.text).toContain(link);
    expect(await checker.check(at(30))).toBe(0);
    expect(await checker.check(at(41))).toBe(1);
    // Published: no more reminders about the draft (the incident's own cadence takes over).
    await h.api('POST', `/api/v1/incidents/${incidentId}/publish`, {});
    const before = hook.received.length;
    await checker.check(at(80));
    expect(hook.received.slice(before).filter((m) => m.text.includes('a draft has waited'))).toEqual([]);
  });
});

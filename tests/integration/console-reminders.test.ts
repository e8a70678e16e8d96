import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadenceReminders } from '../../src/console/cadence-reminders.js';
import { readReminderSettings } from '../../src/console/reminders.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

/** A Slack-compatible incoming webhook on 127.0.0.1 that records each POSTed JSON body. */
async function fakeWebhook() {
  const received: Array<{ text: string }> = [];
  let failures = 0;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      if (failures > 0) {
        failures--;
        response.writeHead(503).end('try later');
        return;
      }
      received.push(JSON.parse(body) as { text: string });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret`,
    received,
    failNext(n: number) {
      failures = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000);

describe('reminder settings', () => {
  it('reads the env and names the variable when it is wrong', () => {
    expect(readReminderSettings({})).toEqual({ webhookUrl: undefined, intervalMs: 30_000, maintenanceLeadMinutes: 60 });
    expect(
      readReminderSettings({
        HERALD_REMINDER_WEBHOOK_URL: 'https://hooks.example.test/x',
        HERALD_MAINTENANCE_REMINDER_MINUTES: '0',
      }),
    ).toMatchObject({ webhookUrl: 'https://hooks.example.test/x', maintenanceLeadMinutes: 0 });
    expect(() => readReminderSettings({ HERALD_REMINDER_WEBHOOK_URL: 'ftp://secret-token' })).toThrow(
      /HERALD_REMINDER_WEBHOOK_URL is not an http\(s\) URL/,
    );
    expect(() => readReminderSettings({ HERALD_REMINDER_WEBHOOK_URL: 'ftp://secret-token' })).not.toThrow(
      /secret-token/,
    );
    expect(() => readReminderSettings({ HERALD_MAINTENANCE_REMINDER_MINUTES: 'soon' })).toThrow(
      /HERALD_MAINTENANCE_REMINDER_MINUTES must be a whole number/,
    );
  });
});

describe.each(['sqlite', 'postgres'] as const)("cadence reminders to the commanders' chat on %s", (database) => {
  let h: TestHerald;
  let hook: Awaited<ReturnType<typeof fakeWebhook>>;
  const checker = () =>
    new CadenceReminders({
      db: h.herald.store.db,
      cadence: { firstMinutes: 10, nextMinutes: 30 },
      webhookUrl: hook.url,
      appUrl: h.herald.env.appUrl,
      logger: h.herald.logger,
    });

  beforeAll(async () => {
    hook = await fakeWebhook();
    h = await startTestHerald({ database, channels: [recordingChannel('recorder').definition], workers: false });
  });
  afterAll(async () => {
    await h?.close();
    await hook?.close();
  });

  it('sends one reminder per overdue due time, even with two checkers; none before it is due or once resolved', async () => {
    const opened = (await h.api('POST', '/api/v1/incidents', { title: 'Checkout <errors>', message: 'Looking' })).body;
    const startedAt: string = opened.incident.startedAt;

    expect(await checker().check(plus(startedAt, 5))).toBe(0);
    expect(hook.received).toHaveLength(0);

    const [a, b] = await Promise.all([checker().check(plus(startedAt, 11)), checker().check(plus(startedAt, 11))]);
    expect(a + b).toBe(1);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.text).toContain('first follow-up for "Checkout &lt;errors&gt;"');
    expect(hook.received[0]!.text).toContain(
      `https://status.example.test/console/incidents/${opened.incident.id}/update`,
    );
    // A restart (a new checker) later on: same due time, no second reminder.
    expect(await checker().check(plus(startedAt, 25))).toBe(0);
    expect(hook.received).toHaveLength(1);

    // The next update moves the due time: a new reminder once that one passes.
    const update = (
      await h.api('POST', `/api/v1/incidents/${opened.incident.id}/updates`, {
        message: 'Found it',
        status: 'identified',
      })
    ).body;
    expect(await checker().check(plus(update.update.createdAt, 20))).toBe(0);
    expect(await checker().check(plus(update.update.createdAt, 31))).toBe(1);
    expect(hook.received[1]!.text).toContain('next update for');

    // Resolved: nothing more, however late.
    await h.api('POST', `/api/v1/incidents/${opened.incident.id}/updates`, { message: 'Fixed', status: 'resolved' });
    expect(await checker().check(plus(update.update.createdAt, 300))).toBe(0);
    expect(hook.received).toHaveLength(2);

    const rows = await h.herald.store.db
      .selectFrom('console_cadence_reminders')
      .selectAll()
      .where('incident_id', '=', opened.incident.id)
      .execute();
    expect(rows.map((r) => r.state)).toEqual(['sent', 'sent']);
  });

  it('tries again after a failure that surely did not arrive', async () => {
    const opened = (await h.api('POST', '/api/v1/incidents', { title: 'Login slow', message: 'Looking' })).body;
    hook.failNext(1);
    const before = hook.received.length;
    expect(await checker().check(plus(opened.incident.startedAt, 12))).toBe(0);
    const row = await h.herald.store.db
      .selectFrom('console_cadence_reminders')
      .selectAll()
      .where('incident_id', '=', opened.incident.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row.error).toContain('HTTP 503');
    expect(row.error).not.toContain('secret');
    expect(await checker().check(plus(opened.incident.startedAt, 13))).toBe(1);
    expect(hook.received.length).toBe(before + 1);
    await h.api('POST', `/api/v1/incidents/${opened.incident.id}/updates`, { message: 'Fixed', status: 'resolved' });
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email } from '../../src/channels/email/index.js';
import { CadenceReminders } from '../../src/console/cadence-reminders.js';
import { MaintenanceReminders, maintenanceNoticeChannelOf } from '../../src/console/maintenance-reminders.js';
import { readReminderSettings } from '../../src/console/reminders.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { addUser, signIn } from './console-helpers.js';

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

describe('maintenance reminders to email subscribers', () => {
  let h: TestHerald;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink({
      keep: true,
      reject: (address) => (address === 'gone@example.test' ? { code: 550, message: '5.1.1 No such user' } : undefined),
    });
    h = await startTestHerald({
      channels: [email({ smtpUrl: sink.url, from: 'Example Status <status@example.test>' })],
      // The console's own ticker stays quiet: the test runs the checks itself.
      env: { HERALD_MAINTENANCE_REMINDER_MINUTES: '0' },
    });
  });
  afterAll(async () => {
    await h?.close();
    await sink?.close();
  });

  const checker = () => {
    const channel = maintenanceNoticeChannelOf(h.herald.channels)!;
    return new MaintenanceReminders({
      db: h.herald.store.db,
      channel,
      render: channel.maintenanceNotice(),
      leadMinutes: 60,
      site: { name: h.herald.siteName, url: h.herald.env.publicUrl },
      logger: h.herald.logger,
    });
  };

  it('emails matching confirmed subscribers once, shortly before the start', async () => {
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const web = (await h.api('POST', '/api/v1/components', { name: 'Website' })).body;
    await h.api('POST', '/api/v1/subscribers', { email: 'all@example.test', confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { email: 'api@example.test', components: [api.id], confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { email: 'web@example.test', components: [web.id], confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { email: 'pending@example.test', components: [api.id] });
    await h.api('POST', '/api/v1/subscribers', { phone: '+14155550100', confirmed: true });

    const start = new Date(Date.now() + 30 * 60_000);
    const soon = await h.api('POST', '/api/v1/maintenances', {
      title: 'Database upgrade',
      message: 'The API may be **slow**.',
      scheduledFor: start.toISOString(),
      scheduledUntil: new Date(start.getTime() + 3_600_000).toISOString(),
      components: [api.id],
    });
    expect(soon.status).toBe(201);
    const later = new Date(Date.now() + 5 * 3_600_000);
    await h.api('POST', '/api/v1/maintenances', {
      title: 'Website move',
      message: 'Later.',
      scheduledFor: later.toISOString(),
      scheduledUntil: new Date(later.getTime() + 3_600_000).toISOString(),
      components: [web.id],
    });

    const [a, b] = await Promise.all([checker().check(), checker().check()]);
    expect(a + b).toBe(2);
    expect(await checker().check()).toBe(0);
    expect(sink.counts.get('all@example.test')).toBe(1);
    expect(sink.counts.get('api@example.test')).toBe(1);
    expect(sink.counts.get('web@example.test')).toBeUndefined(); // its maintenance is 5 h away
    const mail = sink.messages.find((m) => m.to.includes('api@example.test'))!.raw.toString('utf8');
    expect(mail).toContain('Subject: Scheduled maintenance starts');
    expect(mail).toContain('Database upgrade');
    expect(mail).toMatch(/List-Unsubscribe:\s+<https:\/\/status\.example\.test\/unsubscribe\?token=/);
    expect(mail).not.toContain('HERALD-UNSUBSCRIBE-URL');

    // Past its start: no reminder any more.
    expect(await checker().check(new Date(start.getTime() + 60_000))).toBe(0);
    const rows = await h.herald.store.db
      .selectFrom('console_maintenance_reminders')
      .selectAll()
      .where('maintenance_id', '=', soon.body.id)
      .execute();
    expect(rows.map((r) => r.state)).toEqual(['sent', 'sent']);
  });

  it('a hard bounce on a reminder suppresses the address for later sends too', async () => {
    const db = (await h.api('POST', '/api/v1/components', { name: 'Queue' })).body;
    const gone = await h.api('POST', '/api/v1/subscribers', {
      email: 'gone@example.test',
      components: [db.id],
      confirmed: true,
    });
    const start = new Date(Date.now() + 20 * 60_000);
    await h.api('POST', '/api/v1/maintenances', {
      title: 'Queue upgrade',
      message: 'Brief pause.',
      components: [db.id],
      scheduledFor: start.toISOString(),
      scheduledUntil: new Date(start.getTime() + 600_000).toISOString(),
    });
    await checker().check(); // all@example.test (every component) gets this one; gone@ bounces
    expect(sink.counts.get('gone@example.test')).toBeUndefined();
    const row = await h.herald.store.db
      .selectFrom('subscribers')
      .select(['state', 'last_error'])
      .where('id', '=', gone.body.id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('suppressed');
    expect(row.last_error).toMatch(/550/);
    const suppressions = await h.herald.store.db
      .selectFrom('suppressions')
      .selectAll()
      .where('kind', '=', 'email')
      .execute();
    expect(suppressions).toHaveLength(1);
  });

  it('shows when each maintenance reminds subscribers', async () => {
    await addUser(h, 'mia', 'commander');
    const s = await signIn(h, 'mia');
    const page = await h.app.inject({ method: 'GET', url: '/console/maintenances', headers: { cookie: s.cookie } });
    // The ticker is off in this app (0 minutes), so the page says reminders are off.
    expect(page.body).toContain('Subscribers get no reminder before a maintenance');
  });
});

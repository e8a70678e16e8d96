import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { type Herald, startHerald } from '../../src/app/herald.js';
import { email } from '../../src/channels/email/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { readEnv } from '../../src/config/env.js';
import { runMaintenanceClock } from '../../src/pipeline/maintenance-clock.js';
import { createLogger } from '../../src/runtime/logger.js';
import { type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { eventually } from '../helpers/env.js';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { randomSecret } from '../helpers/subscribers.js';
import { snapshotDatabase } from '../helpers/snapshot.js';

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe.each(['sqlite', 'postgres'] as const)('maintenances through their whole life (%s)', (database) => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('refuses a window in the past or ending before it starts, one error per field, storing nothing', async () => {
    h = await startTestHerald({ database, workers: false });
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const before = await snapshotDatabase(h.herald.store.db);
    const past = await h.api('POST', '/api/v1/maintenances', {
      title: 'Old',
      message: 'm',
      scheduledFor: '2020-01-01T00:00:00Z',
      scheduledUntil: '2020-01-01T02:00:00Z',
      components: [api.id],
    });
    expect(past.status).toBe(400);
    expect(past.body.details.map((d: { field: string }) => d.field)).toEqual(['scheduledFor', 'scheduledUntil']);
    const backwards = await h.api('POST', '/api/v1/maintenances', {
      title: 'Backwards',
      message: 'm',
      scheduledFor: inSeconds(7200),
      scheduledUntil: inSeconds(3600),
      components: [api.id],
    });
    expect(backwards.body.details).toEqual([{ field: 'scheduledUntil', problem: 'must be after scheduledFor' }]);
    // A bad scheduledFor hides nothing else: the title and the components are named too.
    const many = await h.api('POST', '/api/v1/maintenances', {
      title: '',
      message: 'm',
      scheduledFor: 'tomorrow',
      scheduledUntil: '2020-01-01T00:00:00Z',
      components: [],
    });
    expect(many.status).toBe(400);
    expect(many.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'components',
      'scheduledFor',
      'scheduledUntil',
      'title',
    ]);
    const unknownChannel = await h.api('POST', '/api/v1/maintenances', {
      title: 't',
      message: 'm',
      scheduledFor: inSeconds(3600),
      scheduledUntil: inSeconds(7200),
      components: [api.id],
      channels: ['carrier-pigeon'],
    });
    expect(unknownChannel.body.message).toMatch(/channels: unknown or disabled channel 'carrier-pigeon'/);
    expect(await snapshotDatabase(h.herald.store.db)).toEqual(before);
  });

  it('lists, shows, edits, updates and cancels; the cancellation goes where the announcement went', async () => {
    const a = recordingChannel('chat-a');
    const b = recordingChannel('chat-b');
    h = await startTestHerald({ database, channels: [a.definition, b.definition], workers: false });
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const db = (await h.api('POST', '/api/v1/components', { name: 'Database' })).body;
    const created = await h.api('POST', '/api/v1/maintenances', {
      title: 'Database upgrade',
      message: 'Upgrading to **16**.',
      scheduledFor: inSeconds(3600),
      scheduledUntil: inSeconds(7200),
      components: [db.id],
      channels: ['chat-a'],
    });
    expect(created.status).toBe(201);
    const m = created.body;
    expect(m).toMatchObject({ status: 'scheduled', channels: ['chat-a'], cancelledAt: null });
    expect(m.updates).toHaveLength(1);
    expect(m.updates[0]).toMatchObject({ status: 'scheduled', channels: ['chat-a'] });
    expect(m.updates[0].message).toMatch(/^\*\*Scheduled maintenance\*\* from .* UTC to .* UTC\.\n\nUpgrading/);
    const deliveries = await h.api('GET', `/api/v1/updates/${m.updates[0].id}/deliveries`);
    expect(deliveries.body.channels.map((c: { channel: string }) => c.channel)).toEqual(['chat-a']);

    // Never an incident: not in the incident list, and not found as one.
    expect((await h.api('GET', '/api/v1/incidents')).body).toEqual([]);

    expect((await h.api('GET', '/api/v1/maintenances?state=upcoming')).body.map((x: { id: string }) => x.id)).toEqual([
      m.id,
    ]);
    expect((await h.api('GET', '/api/v1/maintenances?state=active')).body).toEqual([]);
    expect((await h.api('GET', '/api/v1/maintenances?state=soon')).status).toBe(400);
    expect((await h.api('GET', '/api/v1/maintenances/nope')).status).toBe(404);

    const moved = await h.api('PATCH', `/api/v1/maintenances/${m.id}`, {
      scheduledUntil: inSeconds(9000),
      components: [db.id, api.id],
      title: 'Database upgrade (longer)',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.components.map((c: { name: string }) => c.name).sort()).toEqual(['API', 'Database']);
    expect(moved.body.updates[0].message).toMatch(/^\*\*Maintenance rescheduled\*\*/);
    const backwards = await h.api('PATCH', `/api/v1/maintenances/${m.id}`, { scheduledUntil: inSeconds(60) });
    expect(backwards.status).toBe(400);
    expect(backwards.body.details).toEqual([{ field: 'scheduledUntil', problem: 'must be after scheduledFor' }]);

    // Not started: it cannot be "in progress" by hand, but it can get an update with its status unchanged.
    const early = await h.api('POST', `/api/v1/maintenances/${m.id}/updates`, { message: 'x', status: 'verifying' });
    expect(early.status).toBe(409);
    const posted = await h.api('POST', `/api/v1/maintenances/${m.id}/updates`, { message: 'Backups are done.' });
    expect(posted.status).toBe(201);
    expect(posted.body.update).toMatchObject({ status: 'scheduled', message: 'Backups are done.' });

    const cancelled = await h.api('DELETE', `/api/v1/maintenances/${m.id}`);
    expect(cancelled.status).toBe(204);
    const shown = (await h.api('GET', `/api/v1/maintenances/${m.id}`)).body;
    expect(shown.cancelledAt).not.toBeNull();
    expect(shown.updates[0]).toMatchObject({ status: 'cancelled', channels: ['chat-a'] });
    expect(shown.updates).toHaveLength(4);
    expect((await h.api('DELETE', `/api/v1/maintenances/${m.id}`)).status).toBe(409);
    expect((await h.api('PATCH', `/api/v1/maintenances/${m.id}`, { title: 'again' })).status).toBe(409);
    // Gone from the page's JSON.
    const json = (await h.app.inject({ method: 'GET', url: '/api/v2/scheduled-maintenances.json' })).json();
    expect(json.scheduled_maintenances ?? []).toEqual([]);
  });

  it('reminds once before the start, even with two clocks at once, and not when announced within the lead', async () => {
    const chat = recordingChannel('chat');
    h = await startTestHerald({ database, channels: [chat.definition], workers: false });
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const far = (
      await h.api('POST', '/api/v1/maintenances', {
        title: 'Far',
        message: 'm',
        scheduledFor: inSeconds(3 * 3600),
        scheduledUntil: inSeconds(4 * 3600),
        components: [api.id],
      })
    ).body;
    const near = (
      await h.api('POST', '/api/v1/maintenances', {
        title: 'Near',
        message: 'm',
        scheduledFor: inSeconds(600),
        scheduledUntil: inSeconds(1200),
        components: [api.id],
      })
    ).body;
    const deps = { ...h.herald, logger: h.herald.logger };
    // Near was announced within the hour before its start: no reminder at any time before it starts.
    const soon = await runMaintenanceClock(deps, inSeconds(300), 60);
    expect(soon).toEqual({ reminded: [], started: [], completed: [] });
    expect((await h.api('GET', `/api/v1/maintenances/${near.id}`)).body.updates).toHaveLength(1);
    const at = new Date(Date.parse(far.scheduledFor) - 59 * 60_000).toISOString();
    const [one, two] = await Promise.all([runMaintenanceClock(deps, at, 60), runMaintenanceClock(deps, at, 60)]);
    expect([...one.reminded, ...two.reminded]).toEqual([far.id]);
    // Near ended by then: completed once, by one of the two.
    expect([...one.completed, ...two.completed]).toEqual([near.id]);
    const shown = (await h.api('GET', `/api/v1/maintenances/${far.id}`)).body;
    expect(shown.updates.map((u: { status: string }) => u.status)).toEqual(['scheduled', 'scheduled']);
    expect(shown.updates[0].message).toMatch(/^\*\*Maintenance starts/);
  });
});

describe('a maintenance starts and completes by itself, its notices arriving once each (two workers)', () => {
  let h: TestHerald | undefined;
  let second: Herald | undefined;
  let sink: SmtpSink | undefined;
  let chat: SlackFake | undefined;
  afterEach(async () => {
    await second?.close();
    await h?.close();
    await sink?.close();
    await chat?.close();
  });

  it('announced, started, completed: components under maintenance and back; one email and one Slack post each', async () => {
    sink = await startSmtpSink({ keep: true });
    chat = await startSlackFake();
    const channels = () => [
      email({ smtpUrl: sink!.url, from: 'Status <status@example.test>', unsubscribeMailto: 'u@example.test' }),
      slack({ token: chat!.token, channel: 'C0STATUS1', apiUrl: chat!.apiUrl, rate: { max: 100, perMs: 1000 } }),
    ];
    const secret = randomSecret();
    const env = { HERALD_SECRET: secret, HERALD_MAINTENANCE_CHECK_SECONDS: '0.3' };
    h = await startTestHerald({ channels: channels(), workers: true, env });
    // A second process on the same database and Redis, running the engine too.
    second = await startHerald({
      env: readEnv({
        HERALD_DATA_DIR: h.dataDir,
        DATABASE_URL: h.databaseUrl,
        REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        HERALD_QUEUE_PREFIX: h.prefix,
        HERALD_API_TOKEN: TEST_TOKEN,
        HERALD_PUBLIC_URL: 'https://status.example.test',
        ...env,
      }),
      config: { channels: channels() },
      logger: createLogger({ level: 'silent' }),
      workers: true,
      sweeper: false,
    });
    const db = (await h.api('POST', '/api/v1/components', { name: 'Database' })).body;
    await h.api('POST', '/api/v1/subscribers', { email: 'ops@example.test', confirmed: true });

    const created = await h.api('POST', '/api/v1/maintenances', {
      title: 'Database upgrade',
      message: 'Upgrading the primary.',
      scheduledFor: inSeconds(3),
      scheduledUntil: inSeconds(6),
      components: [db.id],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    await eventually(
      async () =>
        (await h!.api('GET', '/api/v1/components')).body[0].status === 'under_maintenance' &&
        (await h!.api('GET', `/api/v1/maintenances/${id}`)).body.status === 'in_progress',
      10_000,
    );
    await eventually(
      async () => (await h!.api('GET', `/api/v1/maintenances/${id}`)).body.status === 'completed',
      15_000,
    );
    expect((await h.api('GET', '/api/v1/components')).body[0].status).toBe('operational');

    const shown = (await h.api('GET', `/api/v1/maintenances/${id}`)).body;
    expect(shown.updates.map((u: { status: string }) => u.status)).toEqual(['completed', 'in_progress', 'scheduled']);
    // Every notice delivered on both channels.
    for (const u of shown.updates)
      await eventually(async () => {
        const rows = (await h!.api('GET', `/api/v1/updates/${u.id}/deliveries`)).body.channels;
        return rows.length === 2 && rows.every((r: { state: string }) => r.state === 'delivered');
      }, 20_000);
    // Give a duplicate the time to show up, then count.
    await new Promise((r) => setTimeout(r, 1500));

    const mails = await Promise.all(sink.messages.map((m) => simpleParser(m.raw)));
    const texts = mails.map((m) => m.text ?? '');
    expect(mails).toHaveLength(3);
    // The subject carries each step's label (templates/email/subject.txt.hbs).
    expect(mails.map((m) => m.subject).sort()).toEqual([
      '[Maintenance completed] Database upgrade',
      '[Maintenance in progress] Database upgrade',
      '[Scheduled maintenance] Database upgrade',
    ]);
    expect(texts.filter((t) => /Scheduled maintenance from .* UTC to/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('Maintenance has started.'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('Maintenance completed.'))).toHaveLength(1);
    // Threaded like an incident: the later ones answer the first.
    const first = mails.find((m) => /Scheduled maintenance from/.test(m.text ?? ''))!;
    for (const later of mails.filter((m) => m !== first)) expect(later.references).toContain(first.messageId);

    const top = chat.messages.filter((m) => !m.thread_ts);
    expect(top).toHaveLength(1);
    expect(top[0]!.text).toContain('Database upgrade');
    const replies = chat.messages.filter((m) => m.thread_ts === top[0]!.ts);
    expect(replies).toHaveLength(2);
    expect(chat.messages).toHaveLength(3);
    // Every notice links to the maintenance on the page, never to an incident page no one can open.
    const link = `https://status.example.test/#maintenance-${id}`;
    for (const text of texts) {
      expect(text).toContain(link);
      expect(text).not.toContain('/incidents/');
    }
    for (const m of chat.messages) expect(JSON.stringify(m.blocks) + m.text).not.toContain('/incidents/');
  }, 60_000);
});

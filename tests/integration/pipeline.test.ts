import { runMaintenanceClock } from '../../src/pipeline/maintenance-clock.js';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RateLimitedError, RetryableError } from '../../src/channels/errors.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

let h: TestHerald | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function deliveryOf(updateId: string, channel: string) {
  const res = await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`);
  return res.body.channels.find((c: { channel: string }) => c.channel === channel);
}
const settled = (updateId: string, channel: string) =>
  eventually(async () => {
    const d = await deliveryOf(updateId, channel);
    return ['delivered', 'failed', 'skipped', 'partial'].includes(d?.state) ? d : undefined;
  });

describe('typed errors decide what the queue does', () => {
  it('RetryableError: backs off and delivers on a later attempt, recording the attempts', async () => {
    const flaky = recordingChannel('flaky', {
      attempts: 4,
      behave: (n) => {
        if (n < 3) throw new RetryableError(`provider 503 (try ${n})`);
      },
    });
    h = await startTestHerald({ channels: [flaky.definition] });
    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'T', message: 'M' });
    const d = await settled(body.update.id, 'flaky');
    expect(d).toMatchObject({ state: 'delivered', attempts: 3, delivered: 1 });
    expect(d.error).toBeUndefined();
    expect(flaky.sent).toHaveLength(1);
  });

  it('PermanentError: fails at once without retrying and keeps the reason', async () => {
    const broken = recordingChannel('broken', {
      attempts: 5,
      behave: () => {
        throw new PermanentError('invalid_auth: the token was revoked; create a new one');
      },
    });
    h = await startTestHerald({ channels: [broken.definition] });
    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'T', message: 'M' });
    const d = await settled(body.update.id, 'broken');
    expect(d).toMatchObject({
      state: 'failed',
      attempts: 1,
      failed: 1,
      error: 'invalid_auth: the token was revoked; create a new one',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(broken.calls()).toBe(1);
  });

  it('retryable failures become failed after the last attempt', async () => {
    const down = recordingChannel('down', {
      attempts: 2,
      behave: () => {
        throw new Error('ECONNREFUSED');
      },
    });
    h = await startTestHerald({ channels: [down.definition] });
    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'T', message: 'M' });
    const d = await settled(body.update.id, 'down');
    expect(d).toMatchObject({ state: 'failed', attempts: 2 });
    expect(d.error).toMatch(/ECONNREFUSED/);
  });

  it('RateLimitedError: waits for the reset without spending an attempt, and shows it meanwhile', async () => {
    const resetAt = Date.now() + 1_500;
    let limitedSeen = false;
    const limited = recordingChannel('limited', {
      attempts: 1,
      behave: (n) => {
        if (n === 1) throw new RateLimitedError(resetAt, 'HTTP 429: Too Many Requests');
      },
    });
    h = await startTestHerald({ channels: [limited.definition] });
    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'T', message: 'M' });
    await eventually(async () => {
      const d = await deliveryOf(body.update.id, 'limited');
      if (d.state === 'pending' && d.rateLimitedUntil) limitedSeen = true;
      return limitedSeen;
    });
    const d = await settled(body.update.id, 'limited');
    // attempts: 1 allowed by the queue, yet it was delivered on the second try: the 429 spent nothing.
    expect(d.state).toBe('delivered');
    expect(limited.sent[0]!.at).toBeGreaterThanOrEqual(resetAt - 50);
  });
});

describe('threading', () => {
  it('later updates wait for their predecessor on the channel and reply to the previous post', async () => {
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    const thread = recordingChannel('thread', {
      threads: true,
      behave: async (n) => {
        if (n === 1) await firstHeld;
      },
    });
    h = await startTestHerald({ channels: [thread.definition] });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'T', message: 'one' });
    const id = opened.body.incident.id;
    const second = await h.api('POST', `/api/v1/incidents/${id}/updates`, { message: 'two', status: 'identified' });
    const third = await h.api('POST', `/api/v1/incidents/${id}/updates`, { message: 'three', status: 'resolved' });
    await new Promise((r) => setTimeout(r, 700));
    expect(thread.sent).toHaveLength(0); // two and three are waiting for one
    releaseFirst();
    await settled(third.body.update.id, 'thread');
    await settled(second.body.update.id, 'thread');
    expect(thread.sent.map((s) => s.text.match(/: (\w+) https/)![1])).toEqual(['one', 'two', 'three']);
    expect(thread.sent[0]!.target.thread).toBeUndefined();
    expect(thread.sent[1]!.target.thread).toMatchObject({
      first: { externalId: 'post-1' },
      previous: { externalId: 'post-1' },
    });
    expect(thread.sent[2]!.target.thread).toMatchObject({
      first: { externalId: 'post-1' },
      previous: { externalId: 'post-2' },
    });
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body publish once and replay the first answer; another body gets 422', async () => {
    const recorder = recordingChannel('recorder');
    h = await startTestHerald({ channels: [recorder.definition] });
    const headers = { 'idempotency-key': 'abc-123' };
    const first = await h.api('POST', '/api/v1/incidents', { title: 'Once', message: 'only once' }, headers);
    const again = await h.api('POST', '/api/v1/incidents', { title: 'Once', message: 'only once' }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await h.api('POST', '/api/v1/incidents', { title: 'Other', message: 'different' }, headers);
    expect(other.status).toBe(422);
    expect(other.body.message).toMatch(/already used with a different request/);
    const incidents = await h.api('GET', '/api/v1/incidents');
    expect(incidents.body).toHaveLength(1);
    await settled(first.body.update.id, 'recorder');
    expect(recorder.sent).toHaveLength(1);
  });

  it('concurrent requests with one key publish once', async () => {
    h = await startTestHerald({ channels: [recordingChannel('recorder').definition], workers: false });
    const body = { title: 'Race', message: 'same' };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => h!.api('POST', '/api/v1/incidents', body, { 'idempotency-key': 'race-1' })),
    );
    expect(answers.filter((a) => a.status === 201).length).toBeGreaterThanOrEqual(1);
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect((await h.api('GET', '/api/v1/incidents')).body).toHaveLength(1);
  });

  it('a failed request releases its key so the client can try again', async () => {
    h = await startTestHerald({ channels: [recordingChannel('recorder').definition], workers: false });
    const bad = await h.api(
      'POST',
      '/api/v1/incidents',
      { title: 'x', message: 'y', status: 'nope' },
      { 'idempotency-key': 'k2' },
    );
    expect(bad.status).toBe(400);
    const good = await h.api(
      'POST',
      '/api/v1/incidents',
      { title: 'x', message: 'y', status: 'nope' },
      { 'idempotency-key': 'k2' },
    );
    expect(good.status).toBe(400);
    const fixed = await h.api('POST', '/api/v1/incidents', { title: 'x', message: 'y' }, { 'idempotency-key': 'k3' });
    expect(fixed.status).toBe(201);
  });
});

describe('resolving and component state', () => {
  it('resolve returns components to operational unless another open incident still affects them', async () => {
    h = await startTestHerald({ channels: [recordingChannel('recorder').definition], workers: false });
    const a = (await h.api('POST', '/api/v1/components', { name: 'A' })).body.id;
    const b = (await h.api('POST', '/api/v1/components', { name: 'B' })).body.id;
    const one = await h.api('POST', '/api/v1/incidents', {
      title: 'One',
      message: 'm',
      components: { [a]: 'major_outage', [b]: 'partial_outage' },
    });
    await h.api('POST', '/api/v1/incidents', {
      title: 'Two',
      message: 'm',
      components: { [b]: 'degraded_performance' },
    });
    const resolved = await h.api('POST', `/api/v1/incidents/${one.body.incident.id}/updates`, {
      message: 'fixed',
      status: 'resolved',
    });
    expect(resolved.status).toBe(201);
    expect(resolved.body.incident.status).toBe('resolved');
    expect(resolved.body.incident.resolvedAt).toEqual(expect.any(String));
    expect(resolved.body.incident.components).toEqual([
      { id: a, name: 'A', status: 'operational' },
      { id: b, name: 'B', status: 'operational' },
    ]);
    const components = (await h.api('GET', '/api/v1/components')).body;
    expect(components.map((c: { status: string }) => c.status)).toEqual(['operational', 'degraded_performance']);
    const unresolved = (await h.api('GET', '/api/v1/incidents?state=unresolved')).body;
    expect(unresolved.map((i: { title: string }) => i.title)).toEqual(['Two']);
    const again = await h.api('POST', `/api/v1/incidents/${one.body.incident.id}/updates`, {
      message: 'again',
      status: 'resolved',
    });
    expect(again.status).toBe(409);
    const detail = (await h.api('GET', `/api/v1/incidents/${one.body.incident.id}`)).body;
    expect(detail.updates.map((u: { status: string }) => u.status)).toEqual(['resolved', 'investigating']);
  });

  it('a postmortem on a resolved incident becomes part of its timeline', async () => {
    h = await startTestHerald({ channels: [recordingChannel('recorder').definition], workers: false });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'One', message: 'm', status: 'resolved' });
    const pm = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/postmortem`, {
      body: '## What happened\nA bad deploy.',
      notify: true,
    });
    expect(pm.status).toBe(201);
    expect(pm.body.incident).toMatchObject({ status: 'postmortem', postmortem: '## What happened\nA bad deploy.' });
  });

  it('a maintenance in progress puts its components under maintenance', async () => {
    h = await startTestHerald({ workers: false });
    const a = (await h.api('POST', '/api/v1/components', { name: 'DB' })).body.id;
    const now = Date.now();
    const m = await h.api('POST', '/api/v1/maintenances', {
      title: 'DB upgrade',
      message: 'Upgrading',
      components: [a],
      scheduledFor: new Date(now - 10_000).toISOString(),
      scheduledUntil: new Date(now + 3_600_000).toISOString(),
    });
    expect(m.status).toBe(201);
    // It starts on the engine's next check of the clock.
    expect(m.body.status).toBe('scheduled');
    expect((await runMaintenanceClock(h.herald)).started).toEqual([m.body.id]);
    expect((await h.api('GET', `/api/v1/maintenances/${m.body.id}`)).body.status).toBe('in_progress');
    expect((await h.api('GET', '/api/v1/components')).body[0].status).toBe('under_maintenance');
  });
});

describe('manual retry', () => {
  it('a failed delivery can be retried and is then delivered', async () => {
    let fail = true;
    const ch = recordingChannel('ch', {
      behave: () => {
        if (fail) throw new PermanentError('not_in_channel: invite the bot');
      },
    });
    h = await startTestHerald({ channels: [ch.definition] });
    const { body } = await h.api('POST', '/api/v1/incidents', { title: 'T', message: 'M' });
    expect((await settled(body.update.id, 'ch')).state).toBe('failed');
    const notFailed = await h.api('POST', `/api/v1/updates/${body.update.id}/deliveries/nope/retry`);
    expect(notFailed.status).toBe(404);
    fail = false;
    const retry = await h.api('POST', `/api/v1/updates/${body.update.id}/deliveries/ch/retry`);
    expect(retry.status).toBe(202);
    await eventually(async () => (await deliveryOf(body.update.id, 'ch')).state === 'delivered');
    const again = await h.api('POST', `/api/v1/updates/${body.update.id}/deliveries/ch/retry`);
    expect(again.status).toBe(409);
    expect(ch.sent).toHaveLength(1);
  });
});

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { kill, startScript } from '../helpers/child.js';
import { HttpSink } from '../helpers/sink.js';
import { sinkChannel } from '../helpers/sink-channel.js';

const ALERT_TOKEN = 'alert-token-holding-0123456789';
// 24 s: long enough (on a loaded machine) to kill a worker and start two more before the holding statement is due.
const AUTOPUBLISH_MINUTES = '0.4';
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/alerts', name), 'utf8');

describe('the holding statement of an untouched draft', { timeout: 120_000 }, () => {
  let h: TestHerald;
  let sink: HttpSink;
  const workers: ChildProcess[] = [];
  const startWorker = () =>
    startScript(
      'tests/helpers/worker-process.ts',
      {
        DATABASE_URL: h.databaseUrl,
        REDIS_URL,
        HERALD_QUEUE_PREFIX: h.prefix,
        HERALD_LOCK_DURATION_MS: '2000',
        SINK_URL: sink.url,
        HERALD_ALERT_AUTOPUBLISH_MINUTES: AUTOPUBLISH_MINUTES,
        HERALD_PUBLIC_URL: 'https://status.example.test',
      },
      60_000,
    ).then((child) => {
      workers.push(child);
      return child;
    });
  const post = (source: string, body: string) =>
    h.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${source}`,
      headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
      payload: body,
    });

  beforeAll(async () => {
    sink = await new HttpSink().start();
    // The API process runs no workers: the holding statement is the worker processes' job.
    h = await startTestHerald({
      database: 'postgres',
      channels: [sinkChannel(sink.url)],
      workers: false,
      env: { HERALD_ALERT_TOKEN: ALERT_TOKEN, HERALD_ALERT_AUTOPUBLISH_MINUTES: AUTOPUBLISH_MINUTES },
    });
    await h.api('POST', '/api/v1/components', { name: 'API' });
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) await kill(worker, 'SIGKILL');
    await h?.close();
    await sink?.close();
  });

  it('goes out exactly once with two workers and a worker restart in between; a touched draft gets none', async () => {
    const first = await startWorker();
    const { incidentId } = (await post('alertmanager', fixture('alertmanager-firing.json'))).json();
    const draft = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(draft.autoPublishAt).not.toBeNull();
    const touched = (await post('generic', fixture('generic-firing.json'))).json();
    // The worker that saw the drafts made dies; two others come up before the statements are due.
    await kill(first, 'SIGKILL');
    await Promise.all([startWorker(), startWorker()]);
    expect(Date.now()).toBeLessThan(Date.parse(draft.autoPublishAt));
    // A commander publishes the second draft before its time: no holding statement for it.
    const published = await h.api('POST', `/api/v1/incidents/${touched.incidentId}/publish`, {
      message: 'We know sign-in fails for some; looking into it.',
    });
    expect(published.status).toBe(201);

    await eventually(() => sink.accepted.some((m) => m.body.includes('We are investigating reports')), 60_000);
    // Let both workers (and their sweeps) have every chance to send it again.
    await new Promise((r) => setTimeout(r, 4_000));
    const holding = sink.accepted.filter((m) => m.body.includes('We are investigating reports of problems with API'));
    expect(holding).toHaveLength(1);
    expect(sink.accepted).toHaveLength(2);
    expect(JSON.parse(holding[0]!.body).text).toContain(`https://status.example.test/incidents/${incidentId}.html`);

    const after = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(after).toMatchObject({ id: incidentId, title: 'Investigating problems with API', status: 'investigating' });
    expect(after.updates).toHaveLength(1);
    const row = await h.herald.store.db
      .selectFrom('incident_drafts')
      .select(['state', 'closed_by'])
      .where('id', '=', incidentId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'published', closed_by: 'holding' });
    const second = (await h.api('GET', `/api/v1/incidents/${touched.incidentId}`)).body;
    expect(second.updates).toHaveLength(1);
    expect(second.updates[0].message).toBe('We know sign-in fails for some; looking into it.');
  });
});

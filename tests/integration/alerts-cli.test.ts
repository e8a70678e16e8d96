import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/herald.mjs');
const ALERT_TOKEN = 'alert-token-cli-0123456789';

describe('herald incident list --drafts / publish / dismiss', { timeout: 90_000 }, () => {
  let h: TestHerald;
  let url: string;
  const recorder = recordingChannel('recorder');

  beforeAll(async () => {
    h = await startTestHerald({ channels: [recorder.definition], env: { HERALD_ALERT_TOKEN: ALERT_TOKEN } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    await h.api('POST', '/api/v1/components', { name: 'API' });
  });
  afterAll(() => h?.close());

  const herald = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, HERALD_URL: url, HERALD_API_TOKEN: TEST_TOKEN },
        timeout: 30_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const alert = async (id: string) => {
    const body = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/alerts/generic-firing.json'), 'utf8'));
    const res = await fetch(`${url}/api/v1/alerts/generic`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, id }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { incidentId: string }).incidentId;
  };

  it('lists drafts apart from incidents, publishes one edited, dismisses another', async () => {
    const first = await alert('cli-one');
    const second = await alert('cli-two');

    const drafts = await herald(['incident', 'list', '--drafts']);
    expect(drafts.code, drafts.stderr).toBe(0);
    expect(drafts.stdout).toContain(first);
    expect(drafts.stdout).toContain('Sign-in fails from the synthetic check');
    expect(drafts.stdout).toContain('API');
    const incidents = await herald(['incident', 'list', '--json']);
    expect(JSON.parse(incidents.stdout)).toEqual([]);

    const published = await herald([
      'incident',
      'publish',
      first,
      '--message',
      'We are looking into sign-in failures.',
      '--json',
    ]);
    expect(published.code, published.stderr).toBe(0);
    expect(JSON.parse(published.stdout).incident.id).toBe(first);
    expect(JSON.parse(published.stdout).update.message).toBe('We are looking into sign-in failures.');

    const dismissed = await herald(['incident', 'dismiss', second]);
    expect(dismissed.code, dismissed.stderr).toBe(0);
    const left = JSON.parse((await herald(['incident', 'list', '--drafts', '--json'])).stdout);
    expect(left).toEqual([]);
    expect(JSON.parse((await herald(['incident', 'list', '--json'])).stdout).map((i: { id: string }) => i.id)).toEqual([
      first,
    ]);

    const again = await herald(['incident', 'publish', first]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('409');
    const dismissPublished = await herald(['incident', 'dismiss', first]);
    expect(dismissPublished.stderr).toContain('409');
  });
});

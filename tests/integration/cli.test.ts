import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/herald.mjs');

describe('herald CLI against a running Herald', { timeout: 90_000 }, () => {
  let h: TestHerald;
  let url: string;
  const recorder = recordingChannel('recorder');

  beforeAll(async () => {
    h = await startTestHerald({ channels: [recorder.definition], env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  });
  afterAll(() => h?.close());

  const herald = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, HERALD_URL: url, HERALD_API_TOKEN: TEST_TOKEN, ...env },
        timeout: 30_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('adds and lists components, opens, updates and resolves an incident with --json and --wait', async () => {
    const added = await herald(['component', 'add', 'Checkout', '--group', 'Shop', '--json']);
    expect(added.code).toBe(0);
    const component = JSON.parse(added.stdout);
    expect(component).toMatchObject({ name: 'Checkout', group: 'Shop', status: 'operational' });

    const opened = await herald([
      'incident',
      'open',
      '--title',
      'Payments failing',
      '--message',
      'Investigating.',
      '--impact',
      'major',
      '--component',
      `${component.id}=major_outage`,
      '--wait',
      '--json',
    ]);
    expect(opened.code).toBe(0);
    const result = JSON.parse(opened.stdout);
    expect(result.incident).toMatchObject({ title: 'Payments failing', impact: 'major', status: 'investigating' });
    expect(result.deliveries.channels).toEqual([expect.objectContaining({ channel: 'recorder', state: 'delivered' })]);

    const updated = await herald([
      'incident',
      'update',
      result.incident.id,
      '--message',
      'Found it',
      '--status',
      'identified',
      '--wait',
    ]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/recorder\s+delivered\s+1\/1/);

    const resolved = await herald([
      'incident',
      'resolve',
      result.incident.id,
      '--message',
      'Fixed',
      '--social-text',
      'Payments work again. Sorry for the trouble.',
      '--json',
    ]);
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout).incident.status).toBe('resolved');
    expect(JSON.parse(resolved.stdout).update.socialText).toBe('Payments work again. Sorry for the trouble.');

    const list = await herald(['incident', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toHaveLength(1);
    const components = await herald(['component', 'list']);
    expect(components.stdout).toMatch(/Checkout\s+Shop\s+\d+\s+operational/);

    const deliveries = await herald(['deliveries', result.update.id, '--json']);
    expect(JSON.parse(deliveries.stdout).channels[0].state).toBe('delivered');
  });

  it('resolve takes --component (a status other than operational) and --channels, as update does', async () => {
    const component = JSON.parse((await herald(['component', 'add', 'Search', '--json'])).stdout);
    const opened = JSON.parse(
      (
        await herald([
          'incident',
          'open',
          '--title',
          'Search slow',
          '--message',
          'Looking.',
          '--component',
          `${component.id}=major_outage`,
          '--json',
        ])
      ).stdout,
    );
    const wrong = await herald([
      'incident',
      'resolve',
      opened.incident.id,
      '--message',
      'Better.',
      '--channels',
      'nosuch',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/nosuch/);
    const resolved = await herald([
      'incident',
      'resolve',
      opened.incident.id,
      '--message',
      'Better, still watching.',
      '--component',
      `${component.id}=degraded_performance`,
      '--channels',
      'recorder',
      '--json',
    ]);
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout).incident).toMatchObject({
      status: 'resolved',
      components: [expect.objectContaining({ id: component.id, status: 'degraded_performance' })],
    });
  });

  it('adds subscribers and shows a webhook secret once', async () => {
    const added = await herald([
      'subscriber',
      'add',
      '--webhook',
      'http://127.0.0.1:8081/status',
      '--confirmed',
      '--json',
    ]);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).secret).toMatch(/^whsec_/);
    const listed = await herald(['subscriber', 'list', '--json']);
    expect(JSON.parse(listed.stdout)[0].secret).toBeUndefined();
  });

  it('imports subscribers from a CSV file, reporting invalid rows by number', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(h.dataDir, 'subscribers.csv');
    writeFileSync(
      file,
      'email,phone,components\r\nana@example.com,,\r\n,+14155550100,\r\nnot-an-email,,\r\n"bo@example.com",,\r\nana@example.com,,\r\n',
    );
    const imported = await herald(['subscriber', 'import', file, '--confirmed', '--json']);
    expect(imported.code).toBe(3); // some rows were invalid
    const answer = JSON.parse(imported.stdout);
    expect(answer).toMatchObject({ created: 3, existing: 1 });
    // Line numbers as in the file: the header is line 1.
    expect(answer.invalid).toEqual([expect.objectContaining({ index: 4, field: 'email' })]);
    const listed = JSON.parse((await herald(['subscriber', 'list', '--json'])).stdout);
    expect(listed.map((s: { email: string | null; phone: string | null }) => s.email ?? s.phone).sort()).toEqual(
      expect.arrayContaining(['+14155550100', 'ana@example.com', 'bo@example.com']),
    );
    const missing = await herald(['subscriber', 'import', join(h.dataDir, 'nope.csv')]);
    expect(missing.stderr).toMatch(/cannot read .*nope.csv: ENOENT/);
  });

  it('prints one clear error line and exits non-zero on bad input, bad token and no server', async () => {
    const bad = await herald(['incident', 'open', '--title', 'x', '--message', 'y', '--status', 'exploding']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^herald: 400: status: Invalid option/);

    const pair = await herald(['incident', 'open', '--title', 'x', '--message', 'y', '--component', 'nostatus']);
    expect(pair.stderr).toMatch(/--component 'nostatus': expected ID=STATUS/);

    const token = await herald(['component', 'list'], { HERALD_API_TOKEN: 'wrong' });
    expect(token.code).not.toBe(0);
    expect(token.stderr).toMatch(/401: wrong API token/);

    const down = await herald(['component', 'list', '--url', 'http://127.0.0.1:9']);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/cannot reach Herald at http:\/\/127.0.0.1:9/);

    const missing = await herald(['incident', 'open', '--title', 'x']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/give --title and --message \(or --message-file\), or --template NAME/);
  });
});

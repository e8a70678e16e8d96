import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/herald.mjs');

describe('herald CLI: component and maintenance life', { timeout: 120_000 }, () => {
  let h: TestHerald;
  let url: string;

  beforeAll(async () => {
    h = await startTestHerald({ channels: [recordingChannel('recorder').definition], workers: false });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  });
  afterAll(() => h?.close());

  const herald = async (args: string[], input?: string) => {
    try {
      const child = run(process.execPath, [BIN, ...args], {
        env: { ...process.env, HERALD_URL: url, HERALD_API_TOKEN: TEST_TOKEN },
        timeout: 30_000,
      });
      if (input !== undefined) {
        child.child.stdin?.end(input);
      } else child.child.stdin?.end();
      const { stdout, stderr } = await child;
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('edits, reorders and deletes components; a duplicate name is one clear line and exit 1', async () => {
    const a = JSON.parse((await herald(['component', 'add', 'API', '--group', 'Core', '--json'])).stdout);
    const b = JSON.parse((await herald(['component', 'add', 'Website', '--group', 'Core', '--json'])).stdout);
    const dup = await herald(['component', 'add', 'API', '--group', 'Core']);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim().split('\n')).toHaveLength(1);
    expect(dup.stderr).toMatch(/409: a component named 'API' already exists in group 'Core'/);

    const edited = await herald(['component', 'edit', b.id, '--name', 'Web app', '--position', '0', '--json']);
    expect(edited.code).toBe(0);
    expect(JSON.parse(edited.stdout)).toMatchObject({ id: b.id, name: 'Web app', position: 0 });
    expect((await herald(['component', 'edit', a.id, '--position', '3'])).code).toBe(0);
    const nothing = await herald(['component', 'edit', b.id]);
    expect(nothing.code).not.toBe(0);
    expect(nothing.stderr).toMatch(/nothing to change/);
    const badPosition = await herald(['component', 'edit', b.id, '--position', 'first']);
    expect(badPosition.stderr).toMatch(/--position must be a whole number/);

    const list = await herald(['component', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+GROUP\s+POSITION\s+STATUS$/);
    expect(list.stdout.indexOf('Web app')).toBeLessThan(list.stdout.indexOf('API'));

    expect((await herald(['component', 'delete', a.id])).stdout).toContain(`component ${a.id} deleted`);
    const gone = await herald(['component', 'delete', a.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/404: no component with id/);
    expect(JSON.parse((await herald(['component', 'list', '--json'])).stdout)).toHaveLength(1);
  });

  it('runs a maintenance from the CLI: add (message on stdin), list, show, edit, update, cancel', async () => {
    const c = JSON.parse((await herald(['component', 'add', 'Queue', '--json'])).stdout);
    const from = new Date(Date.now() + 3600_000).toISOString();
    const until = new Date(Date.now() + 7200_000).toISOString();
    const added = await herald(
      [
        'maintenance',
        'add',
        '--title',
        'Queue upgrade',
        '--message-file',
        '-',
        '--from',
        from,
        '--until',
        until,
        '--component',
        c.id,
        '--json',
      ],
      'A **long** message\nover two lines.\n',
    );
    expect(added.code).toBe(0);
    const m = JSON.parse(added.stdout);
    expect(m).toMatchObject({
      title: 'Queue upgrade',
      message: 'A **long** message\nover two lines.',
      status: 'scheduled',
    });

    const past = await herald([
      'maintenance',
      'add',
      '--title',
      'x',
      '--message',
      'y',
      '--from',
      '2020-01-01T00:00:00Z',
      '--until',
      'soon',
      '--component',
      c.id,
    ]);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(
      /scheduledUntil: .*; scheduledFor: is in the past|scheduledFor: is in the past.*scheduledUntil/,
    );

    const list = await herald(['maintenance', 'list', '--state', 'upcoming']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+SCHEDULED FOR\s+SCHEDULED UNTIL\s+TITLE\s+COMPONENTS$/);
    expect(list.stdout).toContain('Queue upgrade');

    const edited = await herald([
      'maintenance',
      'edit',
      m.id,
      '--until',
      new Date(Date.now() + 9000_000).toISOString(),
    ]);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`maintenance ${m.id} scheduled: Queue upgrade`);
    const updated = await herald(['maintenance', 'update', m.id, '--message', 'Prepared.', '--json']);
    expect(JSON.parse(updated.stdout).update).toMatchObject({ message: 'Prepared.', status: 'scheduled' });
    const shown = await herald(['maintenance', 'show', m.id]);
    expect(shown.stdout).toMatch(/CREATED AT\s+STATUS\s+ID\s+MESSAGE/);
    expect(shown.stdout.match(/\bscheduled\b/g)?.length).toBeGreaterThanOrEqual(3);

    expect((await herald(['maintenance', 'cancel', m.id])).stdout).toContain(`maintenance ${m.id} cancelled`);
    const again = await herald(['maintenance', 'cancel', m.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409: maintenance is cancelled/);
  });

  it("publishes a postmortem from stdin and updates an incident's impact", async () => {
    const opened = (await h.api('POST', '/api/v1/incidents', { title: 'Slow', message: 'Looking.' })).body;
    const impact = await herald([
      'incident',
      'update',
      opened.incident.id,
      '--message',
      'Worse.',
      '--impact',
      'major',
      '--json',
    ]);
    expect(JSON.parse(impact.stdout).incident.impact).toBe('major');
    await h.api('POST', `/api/v1/incidents/${opened.incident.id}/updates`, { message: 'Fixed.', status: 'resolved' });
    const pm = await herald(
      ['incident', 'postmortem', opened.incident.id, '--body-file', '-', '--json'],
      '# What happened\n\nA disk filled.\n',
    );
    expect(pm.code).toBe(0);
    expect(JSON.parse(pm.stdout).incident.postmortem).toContain('A disk filled.');
    const missing = await herald(['incident', 'postmortem', opened.incident.id, '--body-file', '/nonexistent/pm.md']);
    expect(missing.stderr).toMatch(/cannot read '\/nonexistent\/pm.md': ENOENT/);
  });
});

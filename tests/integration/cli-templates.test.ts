import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/herald.mjs');

describe('herald CLI: incident templates', { timeout: 180_000 }, () => {
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
        timeout: 60_000,
      });
      child.child.stdin?.end(input ?? '');
      const { stdout, stderr } = await child;
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('adds (message on stdin), lists, shows, edits and deletes a template, and opens an incident from it', async () => {
    const db = JSON.parse((await herald(['component', 'add', 'Database', '--json'])).stdout);
    const added = await herald(
      [
        'template',
        'add',
        'Database outage',
        '--title',
        'Database unavailable',
        '--message-file',
        '-',
        '--impact',
        'major',
        '--status',
        'identified',
        '--component',
        `${db.id}=major_outage`,
        '--json',
      ],
      'We are **looking** into it.\nMore soon.\n',
    );
    expect(added.code).toBe(0);
    const t = JSON.parse(added.stdout);
    expect(t).toMatchObject({
      name: 'Database outage',
      title: 'Database unavailable',
      message: 'We are **looking** into it.\nMore soon.',
      impact: 'major',
      status: 'identified',
      components: [{ id: db.id, name: 'Database', status: 'major_outage' }],
    });

    const dup = await herald(['template', 'add', 'database OUTAGE', '--title', 't', '--message', 'm']);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim().split('\n')).toHaveLength(1);
    expect(dup.stderr).toMatch(/409: an incident template named 'Database outage' already exists/);
    const noMessage = await herald(['template', 'add', 'Other', '--title', 't']);
    expect(noMessage.code).toBe(1);
    expect(noMessage.stderr).toMatch(/give --message or --message-file/);
    const badImpact = await herald(['template', 'add', 'Other', '--title', 't', '--message', 'm', '--impact', 'huge']);
    expect(badImpact.code).toBe(1);
    expect(badImpact.stderr).toMatch(/impact: /);

    const list = await herald(['template', 'list']);
    expect(list.code).toBe(0);
    const [head, row] = list.stdout.trim().split('\n');
    expect(head).toMatch(/^ID\s+NAME\s+IMPACT\s+STATUS\s+TITLE\s+COMPONENTS$/);
    expect(row).toContain('Database outage');
    expect(row).toContain('Database unavailable');

    const shown = await herald(['template', 'show', t.id]);
    expect(shown.stdout).toContain(`template ${t.id} Database outage`);
    expect(shown.stdout).toMatch(/components\s+Database \(major_outage\)/);
    expect(shown.stdout).toContain('We are **looking** into it.');

    const edited = await herald(['template', 'edit', t.id, '--impact', '', '--title', 'Database down', '--json']);
    expect(edited.code).toBe(0);
    expect(JSON.parse(edited.stdout)).toMatchObject({ title: 'Database down', impact: null, status: 'identified' });
    const nothing = await herald(['template', 'edit', t.id]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/nothing to change/);

    // By name, with the title overridden on the command line.
    const opened = await herald([
      'incident',
      'open',
      '--template',
      'database outage',
      '--impact',
      'critical',
      '--json',
    ]);
    expect(opened.code).toBe(0);
    const result = JSON.parse(opened.stdout);
    expect(result.incident).toMatchObject({ title: 'Database down', impact: 'critical', status: 'identified' });
    expect(result.incident.components).toEqual([{ id: db.id, name: 'Database', status: 'major_outage' }]);
    expect(result.update.message).toBe('We are **looking** into it.\nMore soon.');
    const overridden = await herald(['incident', 'open', '--template', t.id, '--title', 'Replica lag', '--json']);
    expect(JSON.parse(overridden.stdout).incident.title).toBe('Replica lag');

    const unknown = await herald(['incident', 'open', '--template', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/template: no incident template with id or name 'nope'/);
    const neither = await herald(['incident', 'open', '--title', 'x']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/give --title and --message \(or --message-file\), or --template NAME/);

    expect((await herald(['template', 'delete', t.id])).stdout).toContain(`template ${t.id} deleted`);
    const gone = await herald(['template', 'delete', t.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/404: no incident template with id/);
    expect((await herald(['template', 'list'])).stdout.trim()).toBe('(none)');
  });
});

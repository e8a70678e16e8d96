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
});

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { freePort, tempDir } from '../helpers/env.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { acmeSite, seedComponents, seedIncident, seedUpdate } from '../unit/statuspage-seed.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const credentials = S3RVER_CREDENTIALS;

// `herald statuspage emergency` with the database and Redis out of reach (their URLs point at closed ports): the
// banner reaches every target from the targets alone, `--clear` gives back the pages as built, and the next normal
// build replaces a banner.
describe('herald statuspage emergency', () => {
  let store: Store;
  let root: string;
  let s3: { close(): Promise<void> };
  let client: S3Client;
  let endpoint: string;
  let env: NodeJS.ProcessEnv;
  let incidentId: string;

  const bucketText = async (key: string) =>
    (await client.send(new GetObjectCommand({ Bucket: 'status', Key: key }))).Body!.transformToString();
  const mirrorPages = () =>
    readdirSync(join(root, 'mirror'), { recursive: true })
      .map(String)
      .filter((p) => p.endsWith('.html'));
  const herald = (...args: string[]) =>
    run(process.execPath, [join(REPO, 'bin/herald.mjs'), 'statuspage', 'emergency', ...args], {
      env,
      cwd: root,
      timeout: 60_000,
    });

  beforeAll(async () => {
    root = tempDir('herald-emergency-');
    const server = await startS3rver(root);
    endpoint = server.endpoint;
    s3 = server;
    client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    store = await openStore(join(root, 'herald.db'));
    const components = await seedComponents(store, 2);
    incidentId = await seedIncident(store, {
      title: 'Payments failing',
      startedAt: '2026-05-20T11:00:00.000Z',
      components: [{ ...components[0]!, status: 'major_outage' }],
    });
    const targets = [
      { type: 'directory' as const, name: 'mirror', path: join(root, 'mirror') },
      { type: 's3' as const, name: 'bucket', bucket: 'status', endpoint, forcePathStyle: true, credentials },
    ];
    await acmeSite(store, join(root, 'site'), { targets }).rebuild({ full: true });
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(root, 'channels.config.ts'),
      `import { defineConfig } from '${REPO}/src/config/define.ts';
import * as channel from '${REPO}/src/channels/registry.ts';
export default defineConfig(() => ({ channels: [channel.statuspage({ targets: ${JSON.stringify(targets)} })] }));
`,
    );
    const [dbPort, redisPort] = [await freePort(), await freePort()];
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HERALD_CONFIG: join(root, 'channels.config.ts'),
      HERALD_DATA_DIR: join(root, 'data'),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/herald`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    };
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await store?.close();
    await s3?.close();
  });

  it('puts the banner on every page of every target with the database and Redis unreachable, and --clear takes it off', async () => {
    const before = Object.fromEntries(mirrorPages().map((p) => [p, readFileSync(join(root, 'mirror', p), 'utf8')]));
    const bucketIndexBefore = await bucketText('index.html');
    const { stdout } = await herald('--message', 'Payments are down; we are on it. <script>x</script>');
    expect(stdout).toMatch(/^mirror: banner on \d+ pages$/m);
    expect(stdout).toMatch(/^bucket: banner on \d+ pages$/m);
    const banner = 'Payments are down; we are on it. &lt;script&gt;x&lt;/script&gt;';
    for (const page of mirrorPages()) expect(readFileSync(join(root, 'mirror', page), 'utf8'), page).toContain(banner);
    for (const key of ['index.html', `incidents/${incidentId}.html`, 'subscribe.html', '404.html'])
      expect(await bucketText(key), key).toContain(banner);
    expect(await bucketText('api/v2/summary.json')).not.toContain('Payments are down');
    expect(JSON.parse(readFileSync(join(root, 'mirror', '.herald-build.json'), 'utf8')).emergency.message).toBe(
      'Payments are down; we are on it. <script>x</script>',
    );

    await herald('--clear');
    for (const page of mirrorPages()) expect(readFileSync(join(root, 'mirror', page), 'utf8'), page).toBe(before[page]);
    expect(await bucketText('index.html')).toBe(bucketIndexBefore);
    expect(JSON.parse(readFileSync(join(root, 'mirror', '.herald-build.json'), 'utf8')).emergency).toBeUndefined();
  }, 120_000);

  it('the next normal build replaces the banner in every target', async () => {
    await herald('--message', 'Checking the payment provider.');
    expect(readFileSync(join(root, 'mirror', 'index.html'), 'utf8')).toContain('Checking the payment provider.');
    await seedUpdate(store, incidentId, 'Payments are recovering.', '2026-05-20T11:30:00.000Z');
    const targets = [
      { type: 'directory' as const, name: 'mirror', path: join(root, 'mirror') },
      { type: 's3' as const, name: 'bucket', bucket: 'status', endpoint, forcePathStyle: true, credentials },
    ];
    await acmeSite(store, join(root, 'site'), { targets }).rebuild({ incidentIds: [incidentId] });
    for (const page of mirrorPages())
      expect(readFileSync(join(root, 'mirror', page), 'utf8'), page).not.toContain('Checking the payment provider.');
    for (const key of ['index.html', `incidents/${incidentId}.html`, 'history.html'])
      expect(await bucketText(key), key).not.toContain('Checking the payment provider.');
    expect(await bucketText('index.html')).toContain('Payments are recovering.');
  }, 120_000);

  it('refuses a call without --message or --clear, naming both', async () => {
    await expect(herald()).rejects.toMatchObject({
      stderr: expect.stringMatching(/either --message "text" .* or --clear/),
    });
  });
});

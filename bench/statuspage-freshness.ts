// Freshness of the off-site copies: from the API call that posts an update until the update is visible in each
// target — a directory mirror read through a plain static web server (Python's http.server) and an S3-compatible
// bucket (s3rver) read with GetObject — beside Herald's own copy (GET / from herald serve's routes) as the
// baseline of the same run. 20 updates, one at a time, 2.5 s apart (past the rebuild pacing, as updates come in an
// incident). Prints median and worst per copy.
//   node --import tsx bench/statuspage-freshness.ts
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { statuspage } from '../src/channels/statuspage/index.js';
import { readEnv } from '../src/config/env.js';
import { buildApp } from '../src/http/app.js';
import { startHerald } from '../src/app/herald.js';
import { createLogger } from '../src/runtime/logger.js';
import { dropRedisPrefix, REDIS_URL, tempDir, uniqueName } from '../tests/helpers/env.js';
import { startStaticServer } from '../tests/helpers/static-server.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../tests/helpers/s3rver.js';

const RUNS = 20;
const TOKEN = 'bench-token-0123456789';
const credentials = S3RVER_CREDENTIALS;

const root = tempDir('herald-bench-fresh-');
mkdirSync(join(root, 'www'));
const s3 = await startS3rver(root);
const { endpoint } = s3;
const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
const web = await startStaticServer(join(root, 'www'));
const prefix = uniqueName('hbench');
const env = readEnv({
  HERALD_DATA_DIR: join(root, 'data'),
  REDIS_URL,
  HERALD_QUEUE_PREFIX: prefix,
  HERALD_API_TOKEN: TOKEN,
  HERALD_PUBLIC_URL: `${web.url}/status`,
});
const herald = await startHerald({
  env,
  logger: createLogger({ level: 'silent' }),
  sweeper: false,
  config: {
    channels: [
      statuspage({
        dir: join(root, 'site'),
        targets: [
          { type: 'directory', name: 'mirror', path: join(root, 'www', 'status') },
          { type: 's3', name: 'bucket', bucket: 'status', endpoint, forcePathStyle: true, credentials },
        ],
      }),
    ],
  },
});
const app = await buildApp(herald);
const api = async (method: 'POST', url: string, body: object) =>
  (await app.inject({ method, url, payload: body, headers: { authorization: `Bearer ${TOKEN}` } })).json();

const copies: Record<string, () => Promise<string>> = {
  'herald serve (baseline)': async () => (await app.inject({ method: 'GET', url: '/' })).body,
  'mirror via http.server': async () => (await fetch(`${web.url}/status/index.html`)).text(),
  'S3 bucket': async () =>
    (await client.send(new GetObjectCommand({ Bucket: 'status', Key: 'index.html' }))).Body!.transformToString(),
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(copies).map((k) => [k, []]));

const opened = await api('POST', '/api/v1/incidents', { title: 'Freshness bench', message: 'Opened.' });
await new Promise((r) => setTimeout(r, 3_000));
for (let i = 1; i <= RUNS; i++) {
  const message = `Update number ${i} of the freshness bench.`;
  const asked = performance.now();
  await api('POST', `/api/v1/incidents/${opened.incident.id}/updates`, { message });
  await Promise.all(
    Object.entries(copies).map(async ([name, read]) => {
      for (;;) {
        const text = await read().catch(() => '');
        if (text.includes(message)) break;
        if (performance.now() - asked > 60_000) throw new Error(`${name} did not show update ${i} within 60 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      times[name]!.push(performance.now() - asked);
    }),
  );
  await new Promise((r) => setTimeout(r, 2_500));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`API call → visible, ${RUNS} updates (ms):`);
for (const [name, xs] of Object.entries(times))
  console.log(
    `  ${name.padEnd(26)} median ${median(xs).toFixed(0).padStart(5)}   worst ${Math.max(...xs)
      .toFixed(0)
      .padStart(5)}   over 1 s: ${xs.filter((x) => x > 1000).length}`,
  );

await app.close();
await herald.close();
await dropRedisPrefix(prefix);
client.destroy();
await web.close();
await s3.close();

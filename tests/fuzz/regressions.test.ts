import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponse } from '../../src/http/errors.js';
import { snapshotAllTables } from '../helpers/fuzz-snapshot.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

// Bugs the fuzzers found, pinned as examples (fixes in src/http: nul-guard.ts, errors.ts, app.ts, idempotency.ts).
describe.each(['sqlite', 'postgres'] as const)('fuzz findings stay fixed (%s)', (database) => {
  let h: TestHerald;
  let componentId: string;
  beforeAll(async () => {
    h = await startTestHerald({ database, channels: [recordingChannel('recorder').definition], workers: false });
    componentId = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
  });
  afterAll(() => h?.close());

  type Case = [
    name: string,
    method: string,
    url: () => string,
    body: unknown,
    status: number,
    message: RegExp,
    headers?: Record<string, string>,
  ];
  const cases: Case[] = [
    // Was 500 on PostgreSQL ("invalid byte sequence for encoding UTF8: 0x00"), stored fine on SQLite.
    [
      'NUL in a title',
      'POST',
      () => '/api/v1/incidents',
      { title: 'a\u0000b', message: 'm' },
      400,
      /^title: must not contain NUL/,
    ],
    [
      'NUL in a component id key',
      'POST',
      () => '/api/v1/incidents',
      { title: 't', message: 'm', components: { 'x\u0000': 'major_outage' } },
      400,
      /^components\.x\\u0000: must not contain NUL/,
    ],
    [
      'NUL in a component name',
      'POST',
      () => '/api/v1/components',
      { name: 'a\u0000' },
      400,
      /^name: must not contain NUL/,
    ],
    [
      'NUL in a PATCH',
      'PATCH',
      () => `/api/v1/components/${componentId}`,
      { description: 'x\u0000' },
      400,
      /^description: must not contain NUL/,
    ],
    [
      'NUL in subscriber components',
      'POST',
      () => '/api/v1/subscribers',
      { email: 'a@example.com', components: ['x\u0000'] },
      400,
      /^components\.0: must not contain NUL/,
    ],
    [
      'NUL in a public sign-up',
      'POST',
      () => '/subscribe',
      { email: 'a@example.com', components: ['x\u0000'] },
      400,
      /^components\.0: must not contain NUL/,
    ],
    [
      'NUL in an import',
      'POST',
      () => '/api/v1/subscribers/import',
      { subscribers: [{ email: 'a@example.com', components: ['x\u0000'] }] },
      400,
      /^subscribers\.0\.components\.0: must not contain NUL/,
    ],
    [
      'NUL in maintenance components',
      'POST',
      () => '/api/v1/maintenances',
      {
        title: 't',
        message: 'm',
        scheduledFor: '2030-01-01T00:00:00Z',
        scheduledUntil: '2030-01-02T00:00:00Z',
        components: ['x\u0000'],
      },
      400,
      /^components\.0: must not contain NUL/,
    ],
    ['NUL id in the path (GET)', 'GET', () => '/api/v1/incidents/%00', undefined, 404, /no record with id '\\u0000'/],
    [
      'NUL id in the path (update)',
      'POST',
      () => '/api/v1/incidents/a%00/updates',
      { message: 'm' },
      404,
      /no record with id 'a\\u0000'/,
    ],
    ['NUL id in the path (delete)', 'DELETE', () => '/api/v1/subscribers/%00', undefined, 404, /no record/],
    [
      'NUL id in the path (retry)',
      'POST',
      () => '/api/v1/updates/%00/deliveries/recorder/retry',
      undefined,
      404,
      /no record/,
    ],
    [
      'NUL in an Idempotency-Key',
      'POST',
      () => '/api/v1/incidents',
      { title: 't', message: 'm' },
      400,
      /^Idempotency-Key: must not contain control characters/,
      { 'idempotency-key': 'k\u0000' },
    ],
    // Was Fastify's own 400 {error: 'Bad Request', code: 'FST_ERR_BAD_URL', …}, naming no field.
    [
      'bad percent-encoding in the path',
      'POST',
      () => '/api/v1/incidents/%/updates',
      { message: 'm' },
      400,
      /^path: is not a valid URL/,
    ],
    [
      'bad percent-encoding (GET)',
      'GET',
      () => '/api/v1/incidents/%E0%A4%A',
      undefined,
      400,
      /^path: is not a valid URL/,
    ],
  ];

  it.each(cases)('%s', async (_name, method, url, body, status, message, headers) => {
    const before = await snapshotAllTables(h.herald.store.db);
    const response = await h.api(method, url(), body, headers);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: expect.any(String), message: expect.stringMatching(message) });
    expect(await snapshotAllTables(h.herald.store.db)).toEqual(before);
  });
});

describe('a SQLite busy error is a 503 with nothing stored, not a 500', () => {
  // Found by bench/load.ts (serve and worker on one SQLite file): SQLITE_BUSY_SNAPSHOT answered 500.
  it.each(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY'])('%s', (code) => {
    const answer = errorResponse(Object.assign(new Error('database is locked'), { code }));
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/nothing was stored/) });
  });
});

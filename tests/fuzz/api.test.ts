import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncidentSchema, createUpdateSchema } from '../../src/domain/schemas.js';
import { type FuzzRequest, type Known, checkAnswer, fuzzRequest, knownIds, send } from '../helpers/fuzz-api.js';
import { type FuzzContext, fuzzRuns, fuzzTimeout, json, validObject } from '../helpers/fuzz-arbitraries.js';
import { snapshotAllTables } from '../helpers/fuzz-snapshot.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

// Property-based fuzzing of the HTTP API (admin and public): arbitrary requests built from the zod schemas,
// random route/id sequences and Idempotency-Key reuse. After every request: no 5xx, a refusal is
// {error, message} (a 400 names the field) and changed no row of any table, and an accepted publish stored
// exactly one update with one delivery row per channel. Workers are off so nothing moves between snapshots.
// More runs: HERALD_FUZZ_RUNS=500 npx vitest run tests/fuzz

const CHANNELS = ['recorder', 'second'];

describe.each([
  ['sqlite', 1],
  ['postgres', 0.4],
] as const)('HTTP API fuzz (%s)', (database, share) => {
  let h: TestHerald;
  let known: Known;
  const ctx: FuzzContext = {
    componentIds: () => known?.component ?? [],
    channels: CHANNELS,
    templates: () => [...(known?.template ?? []), ...(known?.templateNames ?? [])],
  };
  const runs = (n: number, perRequest = 1) => Math.max(5, Math.round(fuzzRuns(n, perRequest) * share));

  beforeAll(async () => {
    h = await startTestHerald({
      database,
      channels: CHANNELS.map((name) => recordingChannel(name).definition),
      workers: false,
      // The public sign-up limit (10 per 15 min per address) would turn every later sign-up into a 429.
      env: { HERALD_SUBSCRIBE_RATE_PER_IP: '1000000/900' },
    });
    const component = (await h.api('POST', '/api/v1/components', { name: 'API', group: 'Core' })).body;
    await h.api('POST', '/api/v1/components', { name: 'Web' });
    await h.api('POST', '/api/v1/incidents', {
      title: 'Open one',
      message: 'x',
      components: { [component.id]: 'partial_outage' },
    });
    await h.api('POST', '/api/v1/incidents', { title: 'Resolved one', message: 'y', status: 'resolved' });
    await h.api('POST', '/api/v1/subscribers', { email: 'known@example.com', confirmed: true });
    await h.api('POST', '/api/v1/maintenances', {
      title: 'Upcoming',
      message: 'm',
      scheduledFor: new Date(Date.now() + 86_400_000).toISOString(),
      scheduledUntil: new Date(Date.now() + 90_000_000).toISOString(),
      components: [component.id],
    });
    await h.api('POST', '/api/v1/incident-templates', {
      name: 'API down',
      title: 'API unavailable',
      message: 'Looking into it.',
      impact: 'major',
      components: { [component.id]: 'major_outage' },
    });
    known = await knownIds(h);
  });
  const tally = new Map<string, number>();
  afterAll(async () => {
    // What the fuzzing reached, so a run that only ever hit 400s is visible.
    console.log(`${database}: answers by route and status: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
    await h?.close();
  });

  /** Runs one request, checks the answer against the database before and after; throws with the problems. */
  async function step(request: FuzzRequest): Promise<{ status: number; body: unknown }> {
    const before = await snapshotAllTables(h.herald.store.db);
    const answer = await send(h, request, known);
    const { problems } = await checkAnswer(h, request, answer, before, CHANNELS);
    const label = `${request.route} ${answer.status}`;
    if (process.env.FUZZ_DEBUG && answer.status === 409)
      console.log(request.idempotencyKey, request.route, answer.text);
    tally.set(label, (tally.get(label) ?? 0) + 1);
    if (answer.status < 400) known = await knownIds(h);
    if (problems.length > 0) {
      throw new Error(
        `${request.method} ${request.path} [${request.body?.kind ?? 'no body'}] → ${answer.status}\n  ${problems.join('\n  ')}`,
      );
    }
    return answer;
  }

  it(
    'any single request: no 5xx, refusals are {error, message} and store nothing, publishes are whole',
    async () => {
      await fc.assert(
        fc.asyncProperty(fuzzRequest(ctx), async (request) => void (await step(request))),
        { numRuns: runs(400) },
      );
    },
    fuzzTimeout,
  );

  it(
    'random sequences of routes and ids (known, unknown, just created)',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fuzzRequest(ctx), { minLength: 2, maxLength: 8 }), async (requests) => {
          for (const request of requests) await step(request);
        }),
        { numRuns: runs(60, 1 / 6) },
      );
    },
    fuzzTimeout,
  );

  it(
    'Idempotency-Key reuse: same body replays the first answer and stores nothing more; another body gets 422',
    async () => {
      const publishes = fc.oneof(
        fc.record({ path: fc.constant('/api/v1/incidents'), body: validObject(createIncidentSchema, ctx) }),
        fc.record({ path: fc.constant('/api/v1/incidents/{id}/updates'), body: validObject(createUpdateSchema, ctx) }),
      );
      await fc.assert(
        fc.asyncProperty(
          publishes,
          fc.uuid(),
          fc.string({ minLength: 1, maxLength: 30 }),
          fc.nat(),
          async ({ path, body }, key, other, pick) => {
            const request: FuzzRequest = {
              route: 'idempotent publish',
              method: 'POST',
              path,
              id: { known: 'incident', index: pick },
              body: json('valid', body),
              auth: 'ok',
              idempotencyKey: key,
            };
            const first = await step(request);
            const afterFirst = await snapshotAllTables(h.herald.store.db);
            const again = await send(h, request, known);
            expect(await snapshotAllTables(h.herald.store.db)).toEqual(afterFirst);
            expect(again.status).toBe(first.status);
            if (first.status < 400) {
              expect(again.body).toEqual(first.body);
              expect(again.headers['idempotent-replayed']).toBe('true');
              const changed = await send(
                h,
                { ...request, body: json('changed', { ...body, message: `${String(body.message)} ${other}` }) },
                known,
              );
              expect(changed.status).toBe(422);
              expect(changed.body).toMatchObject({ error: 'idempotency_key_reused', message: expect.any(String) });
              expect(await snapshotAllTables(h.herald.store.db)).toEqual(afterFirst);
            }
          },
        ),
        { numRuns: runs(40, 1 / 6) },
      );
    },
    fuzzTimeout,
  );
});

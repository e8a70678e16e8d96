import fc from 'fast-check';
import type { z } from 'zod';
import {
  createComponentSchema,
  createIncidentSchema,
  createIncidentTemplateSchema,
  createMaintenanceSchema,
  createSubscriberSchema,
  createUpdateSchema,
  maintenanceUpdateSchema,
  openFromTemplateSchema,
  patchComponentSchema,
  patchIncidentTemplateSchema,
  patchMaintenanceSchema,
  postmortemSchema,
} from '../../src/domain/schemas.js';
import { publicSubscribeSchema } from '../../src/subscribers/service.js';
import {
  type FuzzContext,
  type RawBody,
  json,
  mutatedObject,
  notAnObjectBody,
  validObject,
} from './fuzz-arbitraries.js';
import { type FullSnapshot, diffSnapshots, snapshotAllTables } from './fuzz-snapshot.js';
import { TEST_TOKEN, type TestHerald } from './herald.js';

// Requests for the API fuzz tests: a route of the admin or public API, ids that exist or not, and a body that is
// valid, mutated or not an object at all. Ids are chosen when the request runs (from what exists by then), so a
// sequence can use the incident a previous request opened.

export type IdKind = 'component' | 'incident' | 'update' | 'subscriber' | 'maintenance' | 'template';
export type IdChoice = { known: IdKind; index: number } | { unknown: string };

export interface FuzzRequest {
  route: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path with `{id}` / `{channel}` placeholders. */
  path: string;
  id?: IdChoice;
  channel?: string;
  query?: string;
  body?: RawBody;
  auth: 'ok' | 'none' | 'wrong';
  idempotencyKey?: string;
}

export interface Known {
  component: string[];
  incident: string[];
  update: string[];
  subscriber: string[];
  maintenance: string[];
  template: string[];
  /** The templates' names, as a `template` field may give them. */
  templateNames: string[];
}

const unknownId: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.constantFrom(
    '0',
    '-1',
    'null',
    'undefined',
    '..',
    '.',
    '%',
    '%00',
    '%E0%A4%A',
    'a'.repeat(300),
    ' ',
    '\u0000',
    "1' OR '1'='1",
    '__proto__',
    'constructor',
  ),
);

export const idChoice = (kind: IdKind): fc.Arbitrary<IdChoice> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.nat().map((index) => ({ known: kind, index })) },
    { weight: 2, arbitrary: unknownId.map((value) => ({ unknown: value })) },
  );

/** Path segment for an id: known ids as they are; unknown ones usually encoded, sometimes raw. */
export function resolveId(choice: IdChoice | undefined, known: Known): string {
  if (!choice) return '';
  if ('known' in choice) {
    const pool = known[choice.known];
    return pool.length === 0 ? 'none-yet' : pool[choice.index % pool.length]!;
  }
  return /^%|^\.\.?$/.test(choice.unknown) ? choice.unknown : encodeURIComponent(choice.unknown);
}

function bodyFor(schema: z.ZodType, ctx: FuzzContext): fc.Arbitrary<RawBody> {
  return fc.oneof(
    { weight: 4, arbitrary: validObject(schema, ctx).map((b) => json('valid', b)) },
    { weight: 5, arbitrary: mutatedObject(schema, ctx).map((m) => json(m.kind, m.body)) },
    { weight: 2, arbitrary: notAnObjectBody },
  );
}

const importBody = (ctx: FuzzContext): fc.Arbitrary<RawBody> =>
  fc.oneof(
    fc
      .record(
        {
          subscribers: fc.array(
            fc.oneof(
              validObject(createSubscriberSchema, ctx),
              mutatedObject(createSubscriberSchema, ctx).map((m) => m.body),
            ),
            { maxLength: 4 },
          ),
          confirmed: fc.boolean(),
        },
        { requiredKeys: ['subscribers'] },
      )
      .map((b) => json('import', b)),
    mutatedObject(createSubscriberSchema, ctx).map((m) => json(`import ${m.kind}`, m.body)),
    notAnObjectBody,
  );

const common = {
  auth: fc.oneof(
    { weight: 12, arbitrary: fc.constant('ok' as const) },
    { weight: 1, arbitrary: fc.constantFrom('none' as const, 'wrong' as const) },
  ),
  idempotencyKey: fc.option(
    fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }).filter((k) => k.trim() === k && /^[\x21-\x7e]+$/.test(k)),
      fc.constant('k'.repeat(300)),
    ),
    { nil: undefined, freq: 4 },
  ),
};

/** One request on any route of the API. */
export function fuzzRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const post = (route: string, path: string, schema: z.ZodType, id?: IdKind) =>
    fc.record({
      route: fc.constant(route),
      method: fc.constant('POST' as const),
      path: fc.constant(path),
      id: id ? idChoice(id) : fc.constant(undefined),
      body: bodyFor(schema, ctx),
      ...common,
    });
  const get = (route: string, path: string, id: IdKind | undefined, method: 'GET' | 'DELETE' | 'POST' = 'GET') =>
    fc.record({
      route: fc.constant(route),
      method: fc.constant(method),
      path: fc.constant(path),
      id: id ? idChoice(id) : fc.constant(undefined),
      auth: common.auth,
    });
  return fc.oneof(
    { weight: 3, arbitrary: post('create component', '/api/v1/components', createComponentSchema) },
    {
      weight: 2,
      arbitrary: fc.record({
        route: fc.constant('patch component'),
        method: fc.constant('PATCH' as const),
        path: fc.constant('/api/v1/components/{id}'),
        id: idChoice('component'),
        body: bodyFor(patchComponentSchema, ctx),
        auth: common.auth,
      }),
    },
    { weight: 6, arbitrary: post('open incident', '/api/v1/incidents', createIncidentSchema) },
    { weight: 6, arbitrary: post('post update', '/api/v1/incidents/{id}/updates', createUpdateSchema, 'incident') },
    { weight: 2, arbitrary: post('postmortem', '/api/v1/incidents/{id}/postmortem', postmortemSchema, 'incident') },
    { weight: 2, arbitrary: post('maintenance', '/api/v1/maintenances', createMaintenanceSchema) },
    { weight: 3, arbitrary: post('add subscriber', '/api/v1/subscribers', createSubscriberSchema) },
    {
      weight: 1,
      arbitrary: fc.record({
        route: fc.constant('import subscribers'),
        method: fc.constant('POST' as const),
        path: fc.constant('/api/v1/subscribers/import'),
        body: importBody(ctx),
        auth: common.auth,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        route: fc.constant('public subscribe'),
        method: fc.constant('POST' as const),
        path: fc.constant('/subscribe'),
        body: bodyFor(publicSubscribeSchema, ctx),
        auth: fc.constant('none' as const),
      }),
    },
    { weight: 1, arbitrary: get('get incident', '/api/v1/incidents/{id}', 'incident') },
    {
      weight: 1,
      arbitrary: fc.record({
        route: fc.constant('list incidents'),
        method: fc.constant('GET' as const),
        path: fc.constant('/api/v1/incidents'),
        query: fc.oneof(
          fc.constant(''),
          fc.constantFrom(
            '?state=unresolved',
            '?state=all',
            '?state=open',
            '?limit=0',
            '?limit=1001',
            '?limit=abc',
            '?limit=5&state=all',
            '?state=a&state=b',
            '?limit[]=1',
          ),
          fc.string({ maxLength: 20 }).map((s) => `?state=${encodeURIComponent(s)}&limit=${encodeURIComponent(s)}`),
        ),
        auth: common.auth,
      }),
    },
    { weight: 1, arbitrary: get('deliveries', '/api/v1/updates/{id}/deliveries', 'update') },
    {
      weight: 1,
      arbitrary: fc.record({
        route: fc.constant('retry'),
        method: fc.constant('POST' as const),
        path: fc.constant('/api/v1/updates/{id}/deliveries/{channel}/retry'),
        id: idChoice('update'),
        channel: fc.oneof(
          fc.constantFrom(...ctx.channels),
          fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent),
        ),
        auth: common.auth,
      }),
    },
    { weight: 1, arbitrary: get('delete subscriber', '/api/v1/subscribers/{id}', 'subscriber', 'DELETE') },
    { weight: 1, arbitrary: get('list components', '/api/v1/components', undefined) },
    { weight: 1, arbitrary: get('delete component', '/api/v1/components/{id}', 'component', 'DELETE') },
    {
      weight: 2,
      arbitrary: fc.record({
        route: fc.constant('patch maintenance'),
        method: fc.constant('PATCH' as const),
        path: fc.constant('/api/v1/maintenances/{id}'),
        id: idChoice('maintenance'),
        body: bodyFor(patchMaintenanceSchema, ctx),
        auth: common.auth,
      }),
    },
    {
      weight: 2,
      arbitrary: post(
        'maintenance update',
        '/api/v1/maintenances/{id}/updates',
        maintenanceUpdateSchema,
        'maintenance',
      ),
    },
    { weight: 1, arbitrary: get('cancel maintenance', '/api/v1/maintenances/{id}', 'maintenance', 'DELETE') },
    { weight: 1, arbitrary: get('get maintenance', '/api/v1/maintenances/{id}', 'maintenance') },
    { weight: 2, arbitrary: post('create template', '/api/v1/incident-templates', createIncidentTemplateSchema) },
    {
      weight: 2,
      arbitrary: fc.record({
        route: fc.constant('patch template'),
        method: fc.constant('PATCH' as const),
        path: fc.constant('/api/v1/incident-templates/{id}'),
        id: idChoice('template'),
        body: bodyFor(patchIncidentTemplateSchema, ctx),
        auth: common.auth,
      }),
    },
    { weight: 1, arbitrary: get('get template', '/api/v1/incident-templates/{id}', 'template') },
    { weight: 1, arbitrary: get('delete template', '/api/v1/incident-templates/{id}', 'template', 'DELETE') },
    { weight: 1, arbitrary: get('list templates', '/api/v1/incident-templates', undefined) },
    { weight: 3, arbitrary: post('open from template', '/api/v1/incidents', openFromTemplateSchema) },
    {
      weight: 1,
      arbitrary: fc.record({
        route: fc.constant('list maintenances'),
        method: fc.constant('GET' as const),
        path: fc.constant('/api/v1/maintenances'),
        query: fc.oneof(
          fc.constantFrom('', '?state=upcoming', '?state=active', '?state=completed', '?state=constructor', '?state='),
          fc.string({ maxLength: 20 }).map((s) => `?state=${encodeURIComponent(s)}`),
        ),
        auth: common.auth,
      }),
    },
  );
}

export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Record<string, unknown>;
}

export function urlOf(request: FuzzRequest, known: Known): string {
  const path = request.path.replace('{id}', resolveId(request.id, known)).replace('{channel}', request.channel ?? '');
  return path + (request.query ?? '');
}

export async function send(h: TestHerald, request: FuzzRequest, known: Known): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (request.auth === 'ok') headers.authorization = `Bearer ${TEST_TOKEN}`;
  if (request.auth === 'wrong') headers.authorization = 'Bearer wrong-token';
  if (request.body?.contentType !== undefined) headers['content-type'] = request.body.contentType;
  if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
  const response = await h.app.inject({
    method: request.method,
    url: urlOf(request, known),
    headers,
    ...(request.body?.payload === undefined ? {} : { payload: request.body.payload }),
  });
  let body: unknown;
  try {
    body = response.body ? JSON.parse(response.body) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.statusCode, body, text: response.body, headers: response.headers };
}

/** Ids of rows that exist now, for the next requests to pick from. */
export async function knownIds(h: TestHerald): Promise<Known> {
  const db = h.herald.store.db;
  const ids = async (
    table: 'components' | 'incidents' | 'incident_updates' | 'subscribers' | 'maintenances' | 'incident_templates',
  ) => (await db.selectFrom(table).select('id').orderBy('id').execute()).map((r) => r.id);
  return {
    component: await ids('components'),
    incident: await ids('incidents'),
    update: await ids('incident_updates'),
    subscriber: await ids('subscribers'),
    maintenance: await ids('maintenances'),
    template: await ids('incident_templates'),
    templateNames: (await db.selectFrom('incident_templates').select('name').orderBy('name').execute()).map(
      (r) => r.name,
    ),
  };
}

/** Does a 400's answer name the field at fault? (`field: problem` in the message, or details with fields) */
export function namesAField(body: { message?: unknown; details?: unknown }): boolean {
  const details = Array.isArray(body.details) ? (body.details as Array<{ field?: unknown }>) : [];
  if (details.length > 0 && details.every((d) => typeof d.field === 'string' && d.field.length > 0)) return true;
  return typeof body.message === 'string' && /^[^\s:][^:]*: \S/.test(body.message);
}

/**
 * The properties every answer must have, given the database before and after:
 * no 5xx; a 4xx is {error, message} (a 400 names a field) and changed nothing; an accepted publish stored exactly
 * one update with one delivery row per channel it names.
 */
export async function checkAnswer(
  h: TestHerald,
  request: FuzzRequest,
  answer: Answer,
  before: FullSnapshot,
  enabled: string[],
): Promise<{ problems: string[]; after: FullSnapshot }> {
  const after = await snapshotAllTables(h.herald.store.db);
  const problems: string[] = [];
  const diff = diffSnapshots(before, after);
  if (answer.status >= 500) problems.push(`answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  if (answer.status >= 400) {
    const isHtml = String(answer.headers['content-type'] ?? '').startsWith('text/html');
    if (
      !isHtml &&
      (typeof answer.body?.error !== 'string' ||
        typeof answer.body?.message !== 'string' ||
        answer.body.message.length === 0)
    ) {
      problems.push(`${answer.status} body is not {error, message}: ${answer.text.slice(0, 300)}`);
    }
    if (answer.status === 400 && !isHtml && answer.body && !namesAField(answer.body))
      problems.push(`400 does not name a field: ${answer.text.slice(0, 300)}`);
    if (Object.keys(diff).length > 0)
      problems.push(`refused with ${answer.status} but the database changed: ${JSON.stringify(diff).slice(0, 600)}`);
  }
  const published =
    answer.status === 201 &&
    request.method === 'POST' &&
    /^\/api\/v1\/incidents(\/[^/]+\/(updates|postmortem))?$/.test(request.path.replace('{id}', 'x'));
  if (published && answer.headers['idempotent-replayed'] !== 'true') {
    const updates = diff.incident_updates;
    if (updates?.added.length !== 1 || updates.removed.length !== 0) {
      problems.push(
        `accepted publish stored ${updates?.added.length ?? 0} updates (removed ${updates?.removed.length ?? 0}), expected exactly one`,
      );
    } else {
      const update = updates.added[0] as { id: string; channels_json: string };
      // The postmortem answer is {incident} (contract); the others carry the update.
      if (!request.path.endsWith('/postmortem') && answer.body?.update?.id !== update.id)
        problems.push(`answer's update ${answer.body?.update?.id} is not the stored one ${update.id}`);
      const channels = JSON.parse(update.channels_json) as string[];
      const requested = JSON.parse(request.body?.payload ?? '{}') as { channels?: string[]; notify?: boolean };
      const expected = request.path.endsWith('/postmortem')
        ? requested.notify
          ? enabled
          : []
        : requested.channels
          ? [...new Set(requested.channels)]
          : enabled;
      const deliveries = (diff.deliveries?.added ?? []) as Array<{ update_id: string; channel: string; state: string }>;
      if ((diff.deliveries?.removed.length ?? 0) > 0) problems.push('accepted publish removed delivery rows');
      if (deliveries.some((d) => d.update_id !== update.id))
        problems.push('accepted publish added delivery rows of another update');
      const got = deliveries.map((d) => d.channel).sort();
      if (JSON.stringify(got) !== JSON.stringify([...expected].sort()))
        problems.push(`delivery rows ${JSON.stringify(got)} for channels ${JSON.stringify(expected)}`);
      if (JSON.stringify([...channels].sort()) !== JSON.stringify([...expected].sort()))
        problems.push(`update channels ${JSON.stringify(channels)} expected ${JSON.stringify(expected)}`);
      if (deliveries.some((d) => d.state !== 'pending')) problems.push('new delivery rows not pending');
    }
  }
  return { problems, after };
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { snapshotDatabase } from '../helpers/snapshot.js';

describe.each(['sqlite', 'postgres'] as const)('admin API refuses bad input and stores nothing (%s)', (database) => {
  let h: TestHerald;
  let componentId: string;
  let resolvedIncidentId: string;

  beforeAll(async () => {
    // Workers off: the rows must not move under the before/after snapshots.
    h = await startTestHerald({ database, channels: [recordingChannel('recorder').definition], workers: false });
    componentId = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Old', message: 'x', status: 'resolved' });
    resolvedIncidentId = opened.body.incident.id;
  });
  afterAll(() => h?.close());

  type Case = [
    name: string,
    method: string,
    url: () => string,
    body: () => unknown,
    status: number,
    message: RegExp,
    headers?: Record<string, string>,
  ];
  const cases: Case[] = [
    [
      'wrong status enum',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm', status: 'exploding' }),
      400,
      /status: Invalid option: expected one of "investigating"/,
    ],
    [
      'wrong impact enum',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm', impact: 'huge' }),
      400,
      /impact: Invalid option/,
    ],
    [
      'missing title and message',
      'POST',
      () => '/api/v1/incidents',
      () => ({}),
      400,
      /title: is required; message: is required/,
    ],
    [
      'empty title',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: '   ', message: 'm' }),
      400,
      /title: must not be empty/,
    ],
    [
      'misspelt field',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm', stauts: 'identified' }),
      400,
      /stauts: is not a known field/,
    ],
    [
      'unknown component id in body',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm', components: { nope: 'major_outage' } }),
      400,
      /components.nope: no component with this id/,
    ],
    [
      'bad component status',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm', components: { [componentId]: 'on_fire' } }),
      400,
      /components\.\w+: Invalid option/,
    ],
    [
      'unknown channel',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm', channels: ['fax'] }),
      400,
      /channels: unknown or disabled channel 'fax'; enabled channels: recorder/,
    ],
    [
      'non-JSON body',
      'POST',
      () => '/api/v1/incidents',
      () => '{"title": "t", ',
      400,
      /\(body\): is not valid JSON/,
      { 'content-type': 'application/json' },
    ],
    [
      'JSON array body',
      'POST',
      () => '/api/v1/incidents',
      () => '[1,2]',
      400,
      /\(body\): must be a JSON object/,
      { 'content-type': 'application/json' },
    ],
    [
      'oversized body',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'x'.repeat(1024 * 1024 + 10) }),
      413,
      /larger than the 1 MiB limit/,
    ],
    [
      'no token',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm' }),
      401,
      /missing bearer token/,
      { authorization: '' },
    ],
    [
      'wrong token',
      'POST',
      () => '/api/v1/incidents',
      () => ({ title: 't', message: 'm' }),
      401,
      /wrong API token/,
      { authorization: 'Bearer nope' },
    ],
    [
      'unknown incident in path',
      'POST',
      () => '/api/v1/incidents/doesnotexist/updates',
      () => ({ message: 'm' }),
      404,
      /no incident with id 'doesnotexist'/,
    ],
    [
      'resolving a resolved incident',
      'POST',
      () => `/api/v1/incidents/${resolvedIncidentId}/updates`,
      () => ({ message: 'again', status: 'resolved' }),
      409,
      /already resolved/,
    ],
    [
      'postmortem on an open incident',
      'POST',
      () => `/api/v1/incidents/${resolvedIncidentId}/postmortem`,
      () => ({ body: '' }),
      400,
      /body: must not be empty/,
    ],
    // Found by the API fuzzer: past PostgreSQL's integer range this was a 500.
    [
      'component position out of range',
      'POST',
      () => '/api/v1/components',
      () => ({ name: 'x', position: 2147483648 }),
      400,
      /position: must be at most 1000000/,
    ],
    [
      'unknown component in PATCH path',
      'PATCH',
      () => '/api/v1/components/nope',
      () => ({ status: 'major_outage' }),
      404,
      /no component with id 'nope'/,
    ],
    [
      'maintenance ending before it starts',
      'POST',
      () => '/api/v1/maintenances',
      () => ({
        title: 't',
        message: 'm',
        scheduledFor: '2030-01-02T00:00:00Z',
        scheduledUntil: '2030-01-01T00:00:00Z',
        components: [componentId],
      }),
      400,
      /scheduledUntil: must be after scheduledFor/,
    ],
    [
      'maintenance with a bad time',
      'POST',
      () => '/api/v1/maintenances',
      () => ({
        title: 't',
        message: 'm',
        scheduledFor: 'tomorrow',
        scheduledUntil: '2030-01-01T00:00:00Z',
        components: [componentId],
      }),
      400,
      /scheduledFor: must be an ISO-8601 time/,
    ],
    [
      'subscriber with two addresses',
      'POST',
      () => '/api/v1/subscribers',
      () => ({ email: 'a@example.com', phone: '+14155550100' }),
      400,
      /give exactly one of email, phone or webhookUrl/,
    ],
    [
      'subscriber with a bad phone',
      'POST',
      () => '/api/v1/subscribers',
      () => ({ phone: '0123' }),
      400,
      /phone: must be an E.164 number/,
    ],
    [
      'subscriber with an unknown component',
      'POST',
      () => '/api/v1/subscribers',
      () => ({ email: 'a@example.com', components: ['nope'] }),
      400,
      /no component with id 'nope'/,
    ],
    [
      'unknown update deliveries',
      'GET',
      () => '/api/v1/updates/nope/deliveries',
      () => undefined,
      404,
      /no update with id 'nope'/,
    ],
    ['unknown route', 'GET', () => '/api/v1/nothing', () => undefined, 404, /no route GET \/api\/v1\/nothing/],
    [
      'bad incident list filter',
      'GET',
      () => '/api/v1/incidents?state=open',
      () => undefined,
      400,
      /state: must be 'unresolved', 'draft' or 'all'/,
    ],
  ];

  it.each(cases)('%s', async (_name, method, url, body, status, message, headers) => {
    const before = await snapshotDatabase(h.herald.store.db);
    const response = await h.api(method, url(), body(), headers);
    expect(response.status).toBe(status);
    expect(response.body.message).toMatch(message);
    expect(response.body.error).toEqual(expect.any(String));
    expect(await snapshotDatabase(h.herald.store.db)).toEqual(before);
  });

  it('409 on a postmortem for an incident that is not resolved, nothing stored', async () => {
    const open = await h.api('POST', '/api/v1/incidents', { title: 'Open', message: 'x', channels: ['recorder'] });
    const before = await snapshotDatabase(h.herald.store.db);
    const response = await h.api('POST', `/api/v1/incidents/${open.body.incident.id}/postmortem`, {
      body: 'What happened',
    });
    expect(response.status).toBe(409);
    expect(response.body.message).toMatch(/resolve it before publishing a postmortem/);
    expect(await snapshotDatabase(h.herald.store.db)).toEqual(before);
  });
});

describe('admin API without HERALD_API_TOKEN', () => {
  it('refuses every call with a message that says how to enable it', async () => {
    const h = await startTestHerald({ env: { HERALD_API_TOKEN: '' } });
    try {
      const response = await h.api('GET', '/api/v1/components');
      expect(response.status).toBe(401);
      expect(response.body.message).toMatch(/admin API is disabled: set HERALD_API_TOKEN/);
    } finally {
      await h.close();
    }
  });
});

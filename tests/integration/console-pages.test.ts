import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCookies, serializeCookie } from '../../src/console/cookies.js';
import { nextUpdateDue } from '../../src/console/cadence.js';
import { safeNext } from '../../src/console/guard.js';
import { csvCell } from '../../src/console/subscribers-routes.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { addUser, formPost, lookalikeChannels, signIn } from './console-helpers.js';

describe('console helpers', () => {
  it('parses and writes cookies', () => {
    expect(parseCookies('a=1; b="two"; a=3; bad; c=%20x')).toEqual({ a: '1', b: 'two', c: ' x' });
    expect(serializeCookie('s', 'v;1', { path: '/console', secure: true, sameSite: 'Strict', maxAgeSeconds: 60 })).toBe(
      's=v%3B1; Path=/console; Max-Age=60; HttpOnly; Secure; SameSite=Strict',
    );
    expect(() => serializeCookie('bad name', 'v')).toThrow(/cookie name/);
  });
  it('neutralises spreadsheet formulas in CSV', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+14155550100')).toBe(`"'+14155550100"`);
    expect(csvCell('a@b.c')).toBe('a@b.c');
  });
  it('only redirects inside the console after sign-in', () => {
    expect(safeNext('/console/incidents')).toBe('/console/incidents');
    expect(safeNext('https://evil.test/')).toBe('/console/');
    expect(safeNext('//evil.test/console/')).toBe('/console/');
    expect(safeNext('/console/\\evil')).toBe('/console/');
  });
  it('computes the cadence', () => {
    const start = '2026-01-01T00:00:00.000Z';
    const settings = { firstMinutes: 10, nextMinutes: 30 };
    const one = { status: 'investigating' as const, startedAt: start, updates: [{ createdAt: start }] } as never;
    expect(nextUpdateDue(one, settings, new Date('2026-01-01T00:05:00Z'))).toMatchObject({
      overdue: false,
      label: 'due in 5 min',
      which: 'first follow-up',
    });
    expect(nextUpdateDue(one, settings, new Date('2026-01-01T00:12:00Z'))).toMatchObject({
      overdue: true,
      label: 'overdue by 2 min',
    });
    const two = {
      status: 'identified' as const,
      startedAt: start,
      updates: [{ createdAt: '2026-01-01T00:20:00.000Z' }, { createdAt: start }],
    } as never;
    expect(nextUpdateDue(two, settings, new Date('2026-01-01T00:30:00Z'))).toMatchObject({
      dueAt: '2026-01-01T00:50:00.000Z',
      which: 'next update',
    });
    expect(nextUpdateDue({ ...(one as object), status: 'resolved' } as never, settings)).toBeUndefined();
  });
});

describe.each(['sqlite', 'postgres'] as const)('console pages and previews on %s', (database) => {
  let h: TestHerald;
  let s: { cookie: string; csrf: string };
  let componentId: string;

  beforeAll(async () => {
    h = await startTestHerald({
      database,
      channels: [recordingChannel('recorder').definition, ...lookalikeChannels()],
      workers: false,
    });
    await addUser(h, 'alice', 'commander');
    s = await signIn(h, 'alice');
    componentId = (await h.api('POST', '/api/v1/components', { name: 'API', group: 'Core' })).body.id;
    await h.api('POST', '/api/v1/subscribers', { email: 'a@example.com', confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { email: 'b@example.com', confirmed: true, components: [componentId] });
    await h.api('POST', '/api/v1/subscribers', { phone: '+14155550100', confirmed: true });
    await h.api('POST', '/api/v1/subscribers', { email: 'unconfirmed@example.com' });
  });
  afterAll(async () => h?.close());

  it('previews every channel with its own measure, the reach, and warnings', async () => {
    const res = await formPost(h, '/console/preview', s.cookie, {
      _csrf: s.csrf,
      title: 'Checkout errors',
      message: 'Payments fail for some cards ✅',
      status: 'investigating',
      impact: 'major',
      [`component.${componentId}`]: 'major_outage',
      channels: ['recorder', 'twitter', 'sms', 'email'],
    });
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toMatch(/Weighted length<\/dt><dd>\d+ \/ 280 weighted characters/);
    // 117 UTF-16 units: the ✅ forces UCS-2, so two parts of 67.
    expect(html).toMatch(/SMS segments<\/dt><dd>2 \/ 3 segments \(UCS-2, 117 code units\)/);
    expect(html).toContain('sms: &#x27;✅&#x27; switch the SMS to UCS-2');
    expect(html).toContain('New post: starts the thread');
    expect(html).toContain('This reaches 2 email, 1 SMS and 0 webhook subscribers');
    const frame = /<iframe class="frame" sandbox src="([^"]+)"/.exec(html)?.[1];
    expect(frame).toMatch(/^\/console\/frames\//);
    const framed = await h.app.inject({ method: 'GET', url: frame!, headers: { cookie: s.cookie } });
    expect(framed.statusCode).toBe(200);
    expect(framed.headers['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
    expect(framed.body).toContain('<h1>Checkout errors</h1>');
    // Another session cannot read the frame.
    await addUser(h, 'bob', 'viewer');
    const bob = await signIn(h, 'bob');
    expect((await h.app.inject({ method: 'GET', url: frame!, headers: { cookie: bob.cookie } })).statusCode).toBe(404);
  });

  it('on a blank form says what to write, renders no post and warns of nothing', async () => {
    const res = await formPost(h, '/console/preview', s.cookie, { _csrf: s.csrf, title: ' ', message: '' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Write a title and message to see how each channel shows it.');
    expect(res.body).not.toContain('data-channel=');
    expect(res.body).not.toContain('Before you publish');
    expect(res.body).not.toContain('No component selected');
    // A title alone previews (a half-filled form still shows each channel).
    const titled = await formPost(h, '/console/preview', s.cookie, { _csrf: s.csrf, title: 'API down', message: '' });
    expect(titled.body).toContain('data-channel="twitter"');
    expect(titled.body).not.toContain('Write a title and message');
    // An update's form has its incident's title: it waits for the message alone.
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Queue backlog', message: 'Looking.' });
    const update = await formPost(h, '/console/preview', s.cookie, {
      _csrf: s.csrf,
      incident: opened.body.incident.id,
      message: '  ',
    });
    expect(update.body).toContain('Write a message to see how each channel shows it.');
    expect(update.body).not.toContain('data-channel=');
  });

  it('warns before publish: over the limit, nothing selected; no component is a note, not a warning', async () => {
    const res = await formPost(h, '/console/preview', s.cookie, {
      _csrf: s.csrf,
      title: 'Long',
      message: 'word '.repeat(80),
      channels: ['twitter'],
    });
    const warnings = res.body.slice(res.body.indexOf('class="warnings"'), res.body.indexOf('</div>'));
    expect(warnings).toContain('Weighted length');
    expect(warnings).not.toContain('component');
    expect(res.body).toMatch(
      /class="muted note"[^>]*>No component selected: the status page will list no affected component\.</,
    );
    expect(res.body).toMatch(
      /twitter: Weighted length is \d+ weighted characters; the limit is 280 weighted characters/,
    );
    expect(res.body).toContain('(over the limit)');
  });

  it('serves every page, the assets with their types, and the CSV', async () => {
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Slow API',
      message: 'Looking.',
      components: { [componentId]: 'degraded_performance' },
    });
    const incidentId = opened.body.incident.id;
    for (const url of [
      '/console/',
      '/console/incidents',
      '/console/incidents/new',
      `/console/incidents/${incidentId}`,
      `/console/incidents/${incidentId}/update`,
      `/console/incidents/${incidentId}/update?status=resolved`,
      `/console/incidents/${incidentId}/postmortem`,
      `/console/updates/${opened.body.update.id}`,
      '/console/maintenances',
      '/console/components',
      '/console/subscribers?q=example',
      '/console/templates',
    ]) {
      const res = await h.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
    }
    const js = await h.app.inject({ method: 'GET', url: '/console/assets/console.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await h.app.inject({ method: 'GET', url: '/console/assets/console.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const csv = await h.app.inject({
      method: 'GET',
      url: '/console/subscribers.csv?kind=sms',
      headers: { cookie: s.cookie },
    });
    expect(csv.body.trim().split('\r\n')).toHaveLength(2);
    expect(csv.body).toContain(`'+14155550100`);
    expect(
      (await h.app.inject({ method: 'GET', url: '/console/incidents/nope', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(404);
  });

  it('keeps one postmortem draft per incident across saves, and drops it once published', async () => {
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Queue backlog',
      message: 'Fixed.',
      status: 'resolved',
    });
    const url = `/console/incidents/${opened.body.incident.id}/postmortem`;
    const save = (body: string) => formPost(h, url, s.cookie, { _csrf: s.csrf, action: 'save', body });
    const editor = async () => (await h.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } })).body;
    expect(await editor()).not.toContain('Draft last saved');
    expect((await save('First draft.')).body).toContain('Draft saved.');
    expect((await save('Second draft: the root cause.')).body).toContain('Draft saved.');
    const drafted = await editor();
    expect(drafted).toContain('Draft last saved by alice');
    expect(drafted).toMatch(/<textarea[^>]*>Second draft: the root cause\.<\/textarea>/);
    const published = await formPost(h, url, s.cookie, { _csrf: s.csrf, action: 'publish', body: 'The final text.' });
    expect(published.statusCode).toBe(303);
    const after = await editor();
    expect(after).not.toContain('Draft last saved');
    expect(after).toMatch(/<textarea[^>]*>The final text\.<\/textarea>/);
  });

  it('schedules maintenance and edits components from forms', async () => {
    const created = await formPost(h, '/console/components', s.cookie, {
      _csrf: s.csrf,
      name: 'Website',
      group: 'Public',
      description: '',
    });
    expect(created.statusCode).toBe(201);
    const list = (await h.api('GET', '/api/v1/components')).body as Array<{ id: string; name: string; group: string }>;
    const website = list.find((c) => c.name === 'Website')!;
    expect(website.group).toBe('Public');
    const patched = await formPost(h, `/console/components/${website.id}`, s.cookie, {
      _csrf: s.csrf,
      name: 'Web site',
      group: 'Public',
      position: '0',
    });
    expect(patched.statusCode).toBe(303);
    expect(
      (await h.api('GET', '/api/v1/components')).body.find((c: { id: string }) => c.id === website.id),
    ).toMatchObject({ name: 'Web site', position: 0 });

    const bad = await formPost(h, '/console/maintenances', s.cookie, {
      _csrf: s.csrf,
      title: 'DB upgrade',
      message: 'Short downtime',
      scheduledFor: '2030-01-01T10:00',
      scheduledUntil: '2030-01-01T09:00',
      components: website.id,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('scheduledUntil: must be after scheduledFor');
    const good = await formPost(h, '/console/maintenances', s.cookie, {
      _csrf: s.csrf,
      title: 'DB upgrade',
      message: 'Short downtime',
      scheduledFor: '2030-01-01T10:00',
      scheduledUntil: '2030-01-01T11:00',
      components: website.id,
    });
    expect(good.statusCode).toBe(201);
    expect(good.body).toContain('DB upgrade');
  });

  it('previews a template edit and reports one that does not compile', async () => {
    const ok = await formPost(h, '/console/templates/preview', s.cookie, {
      _csrf: s.csrf,
      kind: 'log',
      file: 'message.txt.hbs',
      source: 'Now: {{incident.title}}',
    });
    expect(ok.body).toContain('Now: Elevated API error rates');
    const broken = await formPost(h, '/console/templates/preview', s.cookie, {
      _csrf: s.csrf,
      kind: 'log',
      file: 'message.txt.hbs',
      source: '{{#if}}',
    });
    expect(broken.body).toContain('Does not compile');
    const traversal = await formPost(h, '/console/templates/preview', s.cookie, {
      _csrf: s.csrf,
      kind: '..',
      file: 'package.json',
      source: 'x',
    });
    expect(traversal.statusCode).toBe(400);
  });
});

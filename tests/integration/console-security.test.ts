import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';
import { PASSWORD, addUser, formPost, loginAttempt, lookalikeChannels, signIn } from './console-helpers.js';

const counts = async (h: TestHerald) => {
  const { db } = h.herald.store;
  const n = async (table: 'incidents' | 'incident_updates' | 'deliveries' | 'components' | 'maintenances') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    incidents: await n('incidents'),
    updates: await n('incident_updates'),
    deliveries: await n('deliveries'),
    components: await n('components'),
    maintenances: await n('maintenances'),
  };
};

describe('console: sign-in, sessions, CSRF, roles', () => {
  let h: TestHerald;
  let commander: { cookie: string; csrf: string; setCookie: unknown };
  let viewer: { cookie: string; csrf: string };

  beforeAll(async () => {
    h = await startTestHerald({
      channels: [recordingChannel('recorder').definition, ...lookalikeChannels()],
      workers: false,
    });
    await addUser(h, 'alice', 'commander');
    await addUser(h, 'victor', 'viewer');
    commander = await signIn(h, 'alice');
    viewer = await signIn(h, 'victor');
  });
  afterAll(async () => h?.close());

  const incidentForm = (csrf?: string) => ({
    ...(csrf !== undefined ? { _csrf: csrf } : {}),
    title: 'Checkout errors',
    message: 'We are investigating.',
    status: 'investigating',
    impact: 'major',
    channels: ['recorder'],
    action: 'publish',
  });

  it('redirects to sign-in without a session, for pages and for posts, and stores nothing', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/console/incidents/new' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/console/login?next=%2Fconsole%2Fincidents%2Fnew');
    const before = await counts(h);
    const post = await formPost(h, '/console/incidents', undefined, incidentForm('anything'));
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toMatch(/^\/console\/login/);
    const bogus = await formPost(h, '/console/incidents', 'herald_console=not-a-session', incidentForm('anything'));
    expect(bogus.statusCode).toBe(303);
    expect(await counts(h)).toEqual(before);
  });

  it('sets an HttpOnly, SameSite, Secure (https public URL) session cookie scoped to /console', async () => {
    const line = [commander.setCookie].flat().find((c) => String(c).startsWith('herald_console='));
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=(Lax|Strict)/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/Path=\/console/);
    const page = await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie: commander.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.body).not.toMatch(/\sstyle=/);
  });

  it('refuses a post with a missing or wrong CSRF token (403) and stores nothing', async () => {
    const before = await counts(h);
    const missing = await formPost(h, '/console/incidents', commander.cookie, incidentForm());
    expect(missing.statusCode).toBe(403);
    const wrong = await formPost(
      h,
      '/console/incidents',
      commander.cookie,
      incidentForm(`${commander.csrf.slice(0, -2)}xx`),
    );
    expect(wrong.statusCode).toBe(403);
    const otherSession = await formPost(h, '/console/incidents', commander.cookie, incidentForm(viewer.csrf));
    expect(otherSession.statusCode).toBe(403);
    const component = await formPost(h, '/console/components', commander.cookie, { name: 'API' });
    expect(component.statusCode).toBe(403);
    expect(await counts(h)).toEqual(before);
  });

  it('lets a viewer look but not publish (403)', async () => {
    const before = await counts(h);
    expect(
      (await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie: viewer.cookie } })).statusCode,
    ).toBe(200);
    const publish = await formPost(h, '/console/incidents', viewer.cookie, incidentForm(viewer.csrf));
    expect(publish.statusCode).toBe(403);
    expect(publish.body).toContain('commander role');
    const component = await formPost(h, '/console/components', viewer.cookie, { _csrf: viewer.csrf, name: 'API' });
    expect(component.statusCode).toBe(403);
    expect(await counts(h)).toEqual(before);
  });

  it('publishes for a commander once per form, even when the form is sent twice', async () => {
    const before = await counts(h);
    const fields = { ...incidentForm(commander.csrf), submission: 'sub-0123456789abcdef' };
    const first = await formPost(h, '/console/incidents', commander.cookie, fields);
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toMatch(/^\/console\/updates\/[0-9a-z]{26}$/);
    const again = await formPost(h, '/console/incidents', commander.cookie, fields);
    expect(again.headers.location).toBe(first.headers.location);
    const after = await counts(h);
    expect(after.incidents).toBe(before.incidents + 1);
    expect(after.deliveries).toBe(before.deliveries + 1);
    const progress = await h.app.inject({
      method: 'GET',
      url: String(first.headers.location),
      headers: { cookie: commander.cookie },
    });
    expect(progress.statusCode).toBe(200);
    expect(progress.body).toContain('data-channel="recorder"');
  });

  it('names the field when the form is incomplete and stores nothing', async () => {
    const before = await counts(h);
    const res = await formPost(h, '/console/incidents', commander.cookie, {
      ...incidentForm(commander.csrf),
      title: '',
      channels: [],
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('title: must not be empty');
    expect(res.body).toContain('choose at least one channel');
    expect(await counts(h)).toEqual(before);
  });

  it('refuses sign-in without the sign-in form token', async () => {
    const res = await formPost(h, '/console/login', undefined, { username: 'alice', password: PASSWORD });
    expect(res.statusCode).toBe(403);
  });

  it('rate-limits failed sign-ins per username (429), even with the right password afterwards', async () => {
    await addUser(h, 'mallory-target', 'viewer');
    for (let i = 0; i < 5; i++) {
      expect((await loginAttempt(h, 'mallory-target', `wrong-password-${i}`)).statusCode).toBe(401);
    }
    const blocked = await loginAttempt(h, 'mallory-target', 'wrong-password-x');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await loginAttempt(h, 'mallory-target', PASSWORD)).statusCode).toBe(429);
    // Another user from the same address is not locked out by it.
    expect((await loginAttempt(h, 'alice', PASSWORD)).statusCode).toBe(303);
  });

  it('signs out: the session no longer works', async () => {
    const session = await signIn(h, 'alice');
    const out = await formPost(h, '/console/logout', session.cookie, { _csrf: session.csrf });
    expect(out.statusCode).toBe(303);
    const page = await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie: session.cookie } });
    expect(page.statusCode).toBe(303);
  });
});

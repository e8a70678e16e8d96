import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { PASSWORD, addUser, cookieValue } from './console-helpers.js';

// Every password check the sign-in route makes, counted on the real function.
const checks = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/console/users.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/console/users.js')>();
  return {
    ...real,
    verifyCredentials: (...args: Parameters<typeof real.verifyCredentials>) => {
      checks.count++;
      return real.verifyCredentials(...args);
    },
  };
});

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/** A sign-in form as a browser holds it: its cookie and token, ready to post. */
async function loginForm(h: TestHerald, remoteAddress: string) {
  const form = await h.app.inject({ method: 'GET', url: '/console/login', remoteAddress });
  return { cookie: cookieValue(form.headers['set-cookie'], 'herald_console_login')!, csrf: csrfIn(form.body)! };
}

function post(
  h: TestHerald,
  form: { cookie: string; csrf: string },
  username: string,
  password: string,
  remoteAddress: string,
) {
  return h.app.inject({
    method: 'POST',
    url: '/console/login',
    remoteAddress,
    headers: { cookie: `herald_console_login=${form.cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: form.csrf, username, password, next: '/console/' }).toString(),
  });
}

describe('console sign-in limit under a parallel burst', () => {
  let h: TestHerald;

  beforeAll(async () => {
    h = await startTestHerald({ workers: false });
    await addUser(h, 'burst-target', 'commander');
    await addUser(h, 'bystander', 'commander');
  });
  afterAll(async () => h?.close());

  it('checks at most 5 passwords of 30 sent at once, and the right one sent last does not sign in', async () => {
    const ip = '198.51.100.7';
    const forms = await Promise.all(Array.from({ length: 30 }, () => loginForm(h, ip)));
    checks.count = 0;
    const answers = await Promise.all(
      forms.map((form, i) => post(h, form, 'burst-target', i === 29 ? PASSWORD : `wrong-password-${i}`, ip)),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(checks.count).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 303)).toEqual([]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(25);
    expect(statuses[29]).toBe(429);
    for (const refused of answers.filter((a) => a.statusCode === 429)) {
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    }
    // Still locked afterwards, right password or not; another user from another address is not.
    expect((await post(h, await loginForm(h, ip), 'burst-target', PASSWORD, ip)).statusCode).toBe(429);
    const other = '203.0.113.9';
    expect((await post(h, await loginForm(h, other), 'bystander', PASSWORD, other)).statusCode).toBe(303);
  });

  it('counts per address too: a burst over many usernames checks at most 20 passwords', async () => {
    const ip = '198.51.100.8';
    const forms = await Promise.all(Array.from({ length: 40 }, () => loginForm(h, ip)));
    checks.count = 0;
    const answers = await Promise.all(forms.map((form, i) => post(h, form, `nobody-${i}`, 'wrong-password', ip)));
    expect(checks.count).toBeLessThanOrEqual(20);
    expect(answers.filter((a) => a.statusCode === 429).length).toBeGreaterThanOrEqual(20);
  });

  it('gives a successful sign-in its attempt back: signing in again and again is never limited', async () => {
    const ip = '198.51.100.9';
    for (let i = 0; i < 25; i++) {
      expect((await post(h, await loginForm(h, ip), 'bystander', PASSWORD, ip)).statusCode).toBe(303);
    }
  });
});

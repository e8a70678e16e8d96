import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_PAGE_CSP } from '../../src/statuspage/security-headers.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('public pages: the status page CSP, Retry-After on 429, a token for /metrics', () => {
  let h: TestHerald;
  let open: TestHerald;

  beforeAll(async () => {
    h = await startTestHerald({
      workers: false,
      env: { HERALD_SUBSCRIBE_RATE_PER_IP: '2/60', HERALD_METRICS_TOKEN: METRICS_TOKEN },
    });
    open = await startTestHerald({ workers: false });
  });
  afterAll(async () => {
    await h?.close();
    await open?.close();
  });

  const get = (url: string, remoteAddress = '192.0.2.1') =>
    h.app.inject({ method: 'GET', url, remoteAddress, headers: { accept: 'text/html' } });

  it('serves /subscribe, confirm and unsubscribe pages with the status page CSP and frame-ancestors', async () => {
    const pages = [
      await h.app.inject({
        method: 'POST',
        url: '/subscribe',
        remoteAddress: '192.0.2.50',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        payload: 'email=reader%40example.com&website=spam',
      }),
      await get('/subscribe/confirm?token=not-a-token'),
      await get('/unsubscribe?token=not-a-token'),
      await h.app.inject({
        method: 'POST',
        url: '/unsubscribe?token=not-a-token',
        remoteAddress: '192.0.2.1',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        payload: 'List-Unsubscribe=One-Click',
      }),
    ];
    for (const page of pages) {
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toBe(STATUS_PAGE_CSP);
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('no-referrer'); // link tokens in their addresses
      // Nothing the CSP would block: no inline style or script, only files from Herald's own address.
      expect(page.body).not.toMatch(/<style|\sstyle=|<script(?![^>]*\ssrc="\/subscribe\/assets\/)/);
      expect(page.body).toMatch(/<link rel="stylesheet" href="\/subscribe\/assets\/style\.\w+\.css">/);
    }
    // The status page's own stylesheet and scripts, served beside the pages.
    const body = pages[0]!.body;
    for (const [, path] of body.matchAll(/(?:href|src)="(\/subscribe\/assets\/[^"]+)"/g)) {
      const file = await get(path!);
      expect(file.statusCode, path).toBe(200);
      expect(file.headers['content-type'], path).toMatch(/^(text\/css|text\/javascript|image\/svg)/);
    }
    const css = await get(/href="(\/subscribe\/assets\/style\.\w+\.css)"/.exec(body)![1]!);
    expect(css.body).toContain('--bg');
  });

  it('gives every 429 a Retry-After within the window: sign-up, confirm and one-click unsubscribe', async () => {
    const signUp = () =>
      h.app.inject({
        method: 'POST',
        url: '/subscribe',
        remoteAddress: '192.0.2.9',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'x@example.com', website: 'bot' }),
      });
    expect((await signUp()).statusCode).toBe(202);
    expect((await signUp()).statusCode).toBe(202);
    const limited = await signUp();
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'rate_limited', message: expect.any(String) });
    const wait = Number(limited.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);

    // Confirm and unsubscribe share a limit of 6× the sign-up one per address (12 here).
    const address = '192.0.2.10';
    let answer = await get('/subscribe/confirm?token=x', address);
    for (let i = 0; i < 12 && answer.statusCode !== 429; i++) answer = await get('/subscribe/confirm?token=x', address);
    expect(answer.statusCode).toBe(429);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(answer.headers['content-security-policy']).toBe(STATUS_PAGE_CSP);
    const oneClick = await h.app.inject({
      method: 'POST',
      url: '/unsubscribe?token=x',
      remoteAddress: address,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(429);
    expect(Number(oneClick.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('asks for HERALD_METRICS_TOKEN on /metrics when it is set, and only then', async () => {
    const none = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({
      error: 'unauthorized',
      message: 'missing bearer token: send Authorization: Bearer $HERALD_METRICS_TOKEN',
    });
    const wrong = await h.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain('herald_');
    const right = await h.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('herald_deliveries_total');
    // The admin token is not the metrics token.
    const admin = await h.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer test-token-0123456789' },
    });
    expect(admin.statusCode).toBe(401);
    // Unset: open, as before.
    expect((await open.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });
});

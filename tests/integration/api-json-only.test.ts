import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';

describe('the admin API takes JSON only (415 for other media types)', () => {
  let h: TestHerald;
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };
  const componentCount = async () => (await h.api('GET', '/api/v1/components')).body.length as number;

  beforeAll(async () => {
    h = await startTestHerald({ workers: false });
  });
  afterAll(async () => h?.close());

  it.each([
    ['application/x-www-form-urlencoded', 'name=Form+API'],
    ['text/plain', '{"name":"Plain API"}'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nMulti\r\n--x--\r\n'],
    ['application/xml', '<name>XML</name>'],
  ])('refuses a %s body with 415 naming the type, and stores nothing', async (type, payload) => {
    const before = await componentCount();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/components',
      headers: { ...auth, 'content-type': type },
      payload,
    });
    expect(res.statusCode).toBe(415);
    const body = res.json();
    expect(body.error).toBe('unsupported_media_type');
    expect(body.message).toContain(`Content-Type: is '${type}'`);
    expect(body.message).toContain('send the body as application/json');
    expect(body.details).toEqual([{ field: 'Content-Type', problem: expect.stringContaining(type) }]);
    expect(await componentCount()).toBe(before);
  });

  it('refuses a body without a Content-Type, and a form to PATCH and to the import route', async () => {
    const bare = await h.app.inject({
      method: 'POST',
      url: '/api/v1/components',
      headers: { ...auth, 'content-length': '15' },
      payload: Buffer.from('{"name":"Bare"}'),
    });
    expect(bare.statusCode).toBe(415);
    expect(bare.json().message).toBe('Content-Type: is missing; send the body as application/json');
    const created = await h.api('POST', '/api/v1/components', { name: 'Patched' });
    const patch = await h.app.inject({
      method: 'PATCH',
      url: `/api/v1/components/${created.body.id}`,
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=Changed',
    });
    expect(patch.statusCode).toBe(415);
    const imported = await h.app.inject({
      method: 'POST',
      url: '/api/v1/subscribers/import',
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: 'email\nops@example.com\n',
    });
    expect(imported.statusCode).toBe(415);
  });

  it('still asks for the token first (401 before 415)', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/components',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(res.statusCode).toBe(401);
  });

  it('takes JSON (with a charset, in any case), and requests without a body whatever their headers', async () => {
    // Component names are unique in a group whatever their case: one name per media type.
    const types = ['application/json', 'application/json; charset=utf-8', 'Application/JSON'];
    for (const [i, type] of types.entries()) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/v1/components',
        headers: { ...auth, 'content-type': type },
        payload: JSON.stringify({ name: `JSON ${i + 1}` }),
      });
      expect(res.statusCode, type).toBe(201);
    }
    const sub = await h.api('POST', '/api/v1/subscribers', { email: 'ops@example.com', confirmed: true });
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/subscribers/${sub.body.id}`,
      headers: { ...auth, 'content-type': 'text/plain' },
    });
    expect(del.statusCode).toBe(204);
    // A bodyless POST reaches its route (here: an unknown update, 404), never 415.
    const retry = await h.app.inject({
      method: 'POST',
      url: '/api/v1/updates/nope/deliveries/email/retry',
      headers: auth,
    });
    expect(retry.statusCode).toBe(404);
    expect(retry.json().message).toMatch(/no update/);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/components', headers: auth })).statusCode).toBe(200);
  });

  it('keeps the public form routes: /subscribe and /unsubscribe take forms', async () => {
    const form = await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'email=reader%40example.com',
    });
    // Read as a form: the answer is about its field (no email channel here), not about its media type; a browser
    // (Accept: text/html) gets it as a page, a script as JSON.
    expect(form.statusCode).toBe(400);
    expect(form.headers['content-type']).toMatch(/^text\/html/);
    expect(form.body).toContain('Email address: email subscriptions are not enabled on this status page');
    const scripted = await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      payload: 'email=reader%40example.com',
    });
    expect(scripted.statusCode).toBe(400);
    expect(scripted.json().message).toBe('email: email subscriptions are not enabled on this status page');
    const json = await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'reader2@example.com' }),
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().details).toEqual([{ field: 'email', problem: expect.any(String) }]);
    const oneClick = await h.app.inject({
      method: 'POST',
      url: '/unsubscribe?token=bad',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(400); // a bad token, read from a form body: not a media type refusal
  });
});

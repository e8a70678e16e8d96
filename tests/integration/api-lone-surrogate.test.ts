import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';

// JSON bodies written as text, so the escapes reach the server as JSON escapes ("\ud800"), as a client sends them.
describe.each(['sqlite', 'postgres'] as const)(
  'a lone surrogate in a JSON body is refused, naming the field (%s)',
  (database) => {
    let h: TestHerald;
    const post = (url: string, json: string, auth = true) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${TEST_TOKEN}` } : {}) },
        payload: json,
      });
    const incidents = async () => (await h.api('GET', '/api/v1/incidents')).body.length as number;

    beforeAll(async () => {
      h = await startTestHerald({ database, workers: false });
    });
    afterAll(async () => h?.close());

    it.each([
      ['a high surrogate alone', '{"title":"Outage","message":"broken \\ud800 text"}', 'message'],
      ['a low surrogate alone', '{"title":"Outage \\udc00","message":"m"}', 'title'],
      ['a pair in the wrong order', '{"title":"Outage","message":"m","socialText":"\\udc00\\ud800"}', 'socialText'],
      ['one at the end', '{"title":"Outage","message":"m\\udbff"}', 'message'],
    ])('admin API: %s → 400 naming the field, nothing stored', async (_kind, json, field) => {
      const before = await incidents();
      const res = await post('/api/v1/incidents', json);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.error).toBe('invalid_request');
      expect(body.details).toEqual([{ field, problem: expect.stringContaining('lone surrogate') }]);
      expect(body.message).toMatch(new RegExp(`^${field}: must not contain a lone surrogate`));
      expect(await incidents()).toBe(before);
    });

    it('names a nested field and a key holding one', async () => {
      const inKey = await post(
        '/api/v1/incidents',
        '{"title":"t","message":"m","components":{"x\\ud800":"major_outage"}}',
      );
      expect(inKey.statusCode).toBe(400);
      expect(inKey.json().details[0].field).toBe('components.x\\ud800');
      const component = await post('/api/v1/components', '{"name":"API \\udfff"}');
      expect(component.statusCode).toBe(400);
      expect(component.json().details[0].field).toBe('name');
    });

    it('public JSON: /subscribe refuses it too, naming the field', async () => {
      const res = await post('/subscribe', '{"email":"a\\ud800@example.com"}', false);
      expect(res.statusCode).toBe(400);
      expect(res.json().details).toEqual([{ field: 'email', problem: expect.stringContaining('lone surrogate') }]);
    });

    it('takes a well-formed pair (an emoji written as escapes) and stores it as sent', async () => {
      const res = await post('/api/v1/incidents', '{"title":"Outage \\ud83d\\ude80","message":"m \\ud83d\\ude00"}');
      expect(res.statusCode).toBe(201);
      const stored = await h.api('GET', `/api/v1/incidents/${res.json().incident.id}`);
      expect(stored.body.title).toBe('Outage 🚀');
      expect(stored.body.updates[0].message).toBe('m 😀');
    });
  },
);

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

const HOUR = 60 * 60 * 1000;

describe.each(['sqlite', 'postgres'] as const)(
  'Idempotency-Key: 24 hours, and a secret shown once (%s)',
  (database) => {
    let h: TestHerald;
    const keyRows = async () =>
      h.herald.store.db.selectFrom('idempotency_keys').select(['key', 'response_json']).execute();

    beforeAll(async () => {
      h = await startTestHerald({ database, workers: false, env: { HERALD_ALLOW_PRIVATE_WEBHOOKS: '1' } });
    });
    afterAll(async () => h?.close());
    afterEach(() => {
      vi.useRealTimers();
    });

    it('a replayed webhook subscriber creation does not hand out the secret again, and says so', async () => {
      const headers = { 'idempotency-key': `sub-${database}` };
      const body = { webhookUrl: 'http://127.0.0.1:9/hook', confirmed: true };
      const first = await h.api('POST', '/api/v1/subscribers', body, headers);
      expect(first.status).toBe(201);
      expect(first.body.secret).toMatch(/^whsec_/);
      const again = await h.api('POST', '/api/v1/subscribers', body, headers);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
      expect(again.body.secret).toBeNull();
      expect(again.body.secretWithheld).toMatch(/shown once, in the first answer; this repeated answer leaves it out/);
      expect(JSON.stringify(again.body)).not.toContain(first.body.secret);
      // Nor is it kept a second time at rest, in the stored answer.
      const stored = (await keyRows()).find((r) => r.key === headers['idempotency-key']);
      expect(stored?.response_json).toBeTruthy();
      expect(stored?.response_json).not.toContain(first.body.secret);
      // Answers without a secret replay as they were.
      const email = { email: `ops-${database}@example.com`, confirmed: true };
      const mailFirst = await h.api('POST', '/api/v1/subscribers', email, { 'idempotency-key': `mail-${database}` });
      const mailAgain = await h.api('POST', '/api/v1/subscribers', email, { 'idempotency-key': `mail-${database}` });
      expect(mailAgain.body).toEqual(mailFirst.body);
      expect(mailAgain.body).not.toHaveProperty('secretWithheld');
    });

    it('a key is remembered for 24 hours, then it is a new request (and old keys are dropped)', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const start = Date.parse('2031-03-01T10:00:00Z');
      vi.setSystemTime(start);
      const key = { 'idempotency-key': `expiry-${database}` };
      const first = await h.api('POST', '/api/v1/components', { name: `Expiry ${database}` }, key);
      expect(first.status).toBe(201);
      await h.api('POST', '/api/v1/components', { name: `Other key ${database}` }, { 'idempotency-key': 'other' });

      vi.setSystemTime(start + 24 * HOUR - 60_000);
      const sameBody = await h.api('POST', '/api/v1/components', { name: `Expiry ${database}` }, key);
      expect(sameBody.headers['idempotent-replayed']).toBe('true');
      expect(sameBody.body).toEqual(first.body);
      const otherBody = await h.api('POST', '/api/v1/components', { name: `Later ${database}` }, key);
      expect(otherBody.status).toBe(422);

      vi.setSystemTime(start + 24 * HOUR + 1_000);
      const afterExpiry = await h.api('POST', '/api/v1/components', { name: `Later ${database}` }, key);
      expect(afterExpiry.status).toBe(201);
      expect(afterExpiry.headers['idempotent-replayed']).toBeUndefined();
      expect(afterExpiry.body.id).not.toBe(first.body.id);
      const replay = await h.api('POST', '/api/v1/components', { name: `Later ${database}` }, key);
      expect(replay.body).toEqual(afterExpiry.body);
      // Expired keys are dropped in bulk (at most hourly): the untouched key of the same time is gone too.
      vi.setSystemTime(start + 26 * HOUR);
      await h.api('POST', '/api/v1/components', { name: `Prune ${database}` }, { 'idempotency-key': 'prune' });
      expect((await keyRows()).map((r) => r.key)).not.toContain('other');
    });
  },
);

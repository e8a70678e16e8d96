// `herald serve` sends the site's text files compressed when the client accepts it (src/statuspage/compression.ts).
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statuspage } from '../../src/channels/registry.js';
import { eventually } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

describe('status page served compressed', () => {
  let h: TestHerald;
  let incidentId: string;

  beforeAll(async () => {
    h = await startTestHerald({ channels: [statuspage()] });
    const opened = await h.api('POST', '/api/v1/incidents', {
      title: 'Search is slow',
      message: 'We are looking into slow searches. '.repeat(60),
      impact: 'minor',
    });
    expect(opened.status).toBe(201);
    incidentId = opened.body.incident.id;
    await eventually(
      async () =>
        ((await h.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).json().incidents?.length ?? 0) === 1,
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

  it('Brotli when the client prefers it or ties, gzip when that is all it takes, the same bytes either way', async () => {
    const plain = await get('/api/v2/incidents.json');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    expect(plain.json().incidents[0].id).toBe(incidentId);

    const br = await get('/api/v2/incidents.json', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4);
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);

    const gz = await get('/api/v2/incidents.json', { 'accept-encoding': 'br;q=0.5, gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);

    for (const refused of ['identity', 'deflate', 'br;q=0, gzip;q=0', '*;q=0']) {
      const res = await get('/api/v2/incidents.json', { 'accept-encoding': refused });
      expect(res.headers['content-encoding'], refused).toBeUndefined();
      expect(res.rawPayload.equals(plain.rawPayload), refused).toBe(true);
    }
  });

  it('each coding has its own ETag, and a conditional request on it gets 304', async () => {
    const plain = await get(`/incidents/${incidentId}.html`);
    const br = await get(`/incidents/${incidentId}.html`, { 'accept-encoding': 'br' });
    const gz = await get(`/incidents/${incidentId}.html`, { 'accept-encoding': 'gzip' });
    const tags = [plain.headers.etag, br.headers.etag, gz.headers.etag];
    expect(new Set(tags).size).toBe(3);
    for (const tag of tags) expect(tag).toMatch(/^"[^"]+"$/);

    const again = await get(`/incidents/${incidentId}.html`, {
      'accept-encoding': 'br',
      'if-none-match': br.headers.etag as string,
    });
    expect(again.statusCode).toBe(304);
    // The Brotli ETag does not validate the gzip form.
    const other = await get(`/incidents/${incidentId}.html`, {
      'accept-encoding': 'gzip',
      'if-none-match': br.headers.etag as string,
    });
    expect(other.statusCode).toBe(200);
    expect(gunzipSync(other.rawPayload).equals(plain.rawPayload)).toBe(true);
  });

  it('a real HTTP client gets the page it asked for, decoded', async () => {
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    // Node's fetch asks for compression (gzip and deflate on Node 20, Brotli too on later ones) and decodes it.
    const res = await fetch(`${address}/api/v2/summary.json`);
    expect(res.headers.get('content-encoding')).toMatch(/^(br|gzip)$/);
    const summary = (await res.json()) as { incidents: { id: string }[] };
    expect(summary.incidents.map((i) => i.id)).toEqual([incidentId]);
  });

  it('files under 1 kB go as they are', async () => {
    const small = await get('/api/v2/status.json', { 'accept-encoding': 'br, gzip' });
    expect(small.rawPayload.length).toBeLessThan(1_024);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.json().status.indicator).toBe('minor');
  });
});

import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../src/channels/errors.js';
import { callWebhook, httpCall, lightFetch } from '../../src/channels/http.js';

// The HTTP layer the chat, forum, Mastodon, SMS and Bluesky channels share (undici request() on a keep-alive pool).
describe('channel HTTP calls', () => {
  let base = '';
  const seen: Array<{ method: string; url: string; body: string; type?: string }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, type: req.headers['content-type'] });
      if (req.url === '/moved') return res.writeHead(301, { location: '/ok' }).end();
      if (req.url!.startsWith('/slow')) return setTimeout(() => res.end('{}'), 500);
      if (req.url === '/empty') return res.writeHead(204).end();
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(JSON.stringify({ ok: true, method: req.method }));
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends JSON and form bodies with their content types and reads the answer', async () => {
    const json = await httpCall({ url: `${base}/ok`, body: { a: 1 }, what: 'test' });
    expect(json).toMatchObject({ status: 200, json: { ok: true, method: 'POST' } });
    expect(json.headers.get('Content-Type')).toBe('application/json');
    expect(json.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(json.headers.get('x-missing')).toBeNull();
    await httpCall({ url: `${base}/ok`, body: new URLSearchParams({ To: '+14155550100' }), what: 'test' });
    expect(seen.at(-2)).toMatchObject({ body: '{"a":1}', type: 'application/json' });
    expect(seen.at(-1)).toMatchObject({ body: 'To=%2B14155550100', type: 'application/x-www-form-urlencoded' });
  });

  it('does not follow a redirect on a post: a permanent error that says what to fix', async () => {
    const posted = seen.length;
    await expect(callWebhook({ url: `${base}/moved`, body: { a: 1 }, what: 'Test webhook' })).rejects.toThrow(
      PermanentError,
    );
    await expect(callWebhook({ url: `${base}/moved`, body: { a: 1 }, what: 'Test webhook' })).rejects.toThrow(
      /redirect \(HTTP 301\).*set the URL it redirects to/,
    );
    expect(seen.slice(posted).map((s) => s.url)).toEqual(['/moved', '/moved']);
  });

  it('follows redirects for look-ups that ask for it', async () => {
    const answer = await httpCall({ method: 'GET', url: `${base}/moved`, followRedirects: true, what: 'test' });
    expect(answer).toMatchObject({ status: 200, json: { method: 'GET' } });
  });

  it('never goes through the process-wide undici dispatcher, whoever installed it', async () => {
    // Any module may install its own there first (on Node 20, building a Response loads Node's bundled undici).
    const previous = getGlobalDispatcher();
    class Refusing extends Dispatcher {
      override dispatch(): boolean {
        throw new Error('the global dispatcher was used');
      }
    }
    setGlobalDispatcher(new Refusing());
    try {
      await expect(httpCall({ url: `${base}/ok`, body: { a: 1 }, what: 'test' })).resolves.toMatchObject({
        status: 200,
      });
      await expect(
        httpCall({ method: 'GET', url: `${base}/moved`, followRedirects: true, what: 'test' }),
      ).resolves.toMatchObject({ status: 200 });
      expect((await lightFetch(`${base}/ok`)).status).toBe(200);
    } finally {
      setGlobalDispatcher(previous);
    }
  });

  it('follows redirects in a process where the pg driver was loaded first (as under `herald serve`)', async () => {
    // pg builds a Response at import, which puts Node's bundled undici in the global slot; its dispatch refused
    // undici 7's redirect interceptor ("invalid onError method"), so Discourse's look-ups failed in production.
    const script = `await import('pg'); const { httpCall } = await import(${JSON.stringify(resolve(import.meta.dirname, '../../src/channels/http.ts'))});
      const answer = await httpCall({ method: 'GET', url: ${JSON.stringify(`${base}/moved`)}, followRedirects: true, what: 'test' });
      console.log(answer.status);`;
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '../..'),
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('200');
  });

  it('a provider that does not answer in time is a RetryableError naming the wait, never the URL', async () => {
    const error = await httpCall({ url: `${base}/slow?secret=hook-token`, timeoutMs: 100, what: 'Test webhook' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/Test webhook could not be reached: timed out after 100 ms/);
    expect((error as Error).message).not.toMatch(/hook-token/);
  });

  it('lightFetch gives client libraries a standard Response', async () => {
    const response = await lightFetch(new URL(`${base}/ok`), {
      method: 'post',
      body: new TextEncoder().encode('{"x":1}'),
      headers: new Headers({ 'content-type': 'application/json' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, method: 'POST' });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"x":1}' });
    const empty = await lightFetch(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
    expect(empty.body).toBeNull();
  });

  it("lightFetch's answer reads as fetch()'s does: status, headers, body as text, bytes, stream and clone", async () => {
    const [light, standard] = await Promise.all([lightFetch(`${base}/ok`), fetch(`${base}/ok`)]);
    const same = (r: Response) => ({
      status: r.status,
      ok: r.ok,
      statusText: r.statusText,
      type: r.type,
      redirected: r.redirected,
      url: r.url,
      cookie: r.headers.get('set-cookie'),
      type2: r.headers.get('content-type'),
    });
    expect(same(light)).toEqual(same(standard));
    const body = await standard.text();
    expect(await light.text()).toBe(body);
    expect(new TextDecoder().decode(await light.arrayBuffer())).toBe(body);
    expect(await light.clone().text()).toBe(body);
    expect(await new Response(light.body).text()).toBe(body);
    expect(light.bodyUsed).toBe(true);
    const missing = await lightFetch(`${base}/moved`);
    expect({
      status: missing.status,
      ok: missing.ok,
      statusText: missing.statusText,
      location: missing.headers.get('location'),
    }).toEqual({ status: 301, ok: false, statusText: 'Moved Permanently', location: '/ok' });
  });
});

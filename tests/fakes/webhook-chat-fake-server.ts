import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// The small node:http server under each chat fake (Slack, Discourse, Teams, Discord, Mattermost): the
// fakes differ in protocol, not in plumbing. Listens on 127.0.0.1 only, port chosen by the OS.

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Resolves when the client goes away before the answer (a killed process). */
  gone: Promise<void>;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string. Omitted: empty body. */
  body?: unknown;
}

export type FailureKind = '429' | '5xx' | 'auth';
export interface Failure {
  kind: FailureKind;
  resetAtMs?: number;
}

export interface FakeServer {
  url: string;
  /** Milliseconds every answer waits (a slow platform). */
  latencyMs: number;
  close(): Promise<void>;
}

export async function startFakeServer(
  handle: (req: FakeRequest) => Promise<FakeResponse> | FakeResponse,
): Promise<FakeServer> {
  const state = { latencyMs: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const gone = new Promise<void>((resolve) => res.on('close', () => resolve()));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let answer: FakeResponse;
      try {
        if (state.latencyMs > 0) await new Promise((r) => setTimeout(r, state.latencyMs));
        answer = await handle({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          rawBody: Buffer.concat(chunks).toString('utf8'),
          gone,
        });
      } catch (error) {
        answer = { status: 500, body: { error: `fake crashed: ${(error as Error).message}` } };
      }
      if (res.destroyed) return;
      const isText = typeof answer.body === 'string';
      const payload = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        ...(answer.body === undefined
          ? {}
          : { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' }),
        ...answer.headers,
      });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Seconds until `resetAtMs`, as a Retry-After header carries them (at least 1). */
export const retryAfterSeconds = (resetAtMs: number | undefined, fallbackSeconds = 1) =>
  resetAtMs === undefined ? fallbackSeconds : Math.max(1, Math.round((resetAtMs - Date.now()) / 1000));

/** Takes the first queued failure meant for this request: one without a `method`, or one naming `method`. */
export function takeFailure<F extends { method?: string }>(failures: F[], method: string): F | undefined {
  const index = failures.findIndex((failure) => !failure.method || failure.method === method);
  return index < 0 ? undefined : failures.splice(index, 1)[0];
}

/** A gate a test opens by hand: the fake accepts a request, then holds its answer until `release()`. */
export function gate() {
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (reached = r));
  return { released, arrived, release, reached };
}

import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A failure a fake answers its next post with. */
export type FakeFault =
  | { kind: '429'; resetAtMs?: number }
  /** X only: the 24-hour user limit is spent while the 15-minute window still has room. */
  | { kind: '429-24h'; resetAtMs?: number }
  | { kind: '5xx' }
  | { kind: 'auth' }
  | { kind: 'duplicate' }
  /** Stores the post but answers only after `delayMs`: a client with a shorter timeout gives up although the post is out. */
  | { kind: 'slow'; delayMs: number };

export interface AcceptedPost {
  id: string;
  /** The text exactly as the client sent it. */
  text: string;
  replyTo: string | null;
  /** For Bluesky: the thread root the reply named. */
  rootId?: string | null;
  at: number;
}

/**
 * What every social fake shares: fault injection for the next post, slow answers, holding a post's answer
 * after it was stored (to simulate a worker that dies before recording it), and the list of accepted posts.
 */
export class FakeControls extends EventEmitter<{ accepted: [AcceptedPost] }> {
  readonly posts: AcceptedPost[] = [];
  private readonly faults: FakeFault[] = [];
  /** Store the next posts but never answer them (until the fake closes). */
  holdAnswers = false;
  /** Added to every answer (all endpoints), for latency experiments. */
  latencyMs = 0;
  /**
   * How the account's look-up of its recent posts is answered: `works`, or `refused` as the platform refuses it to
   * an account without access (X's Free level: 403 client-not-enrolled on GET /2/users/:id/tweets).
   */
  lookUp: 'works' | 'refused' = 'works';
  /** Look-ups of recent posts asked for, answered or refused. */
  lookUps = 0;

  failNext(fault: FakeFault): void {
    this.faults.push(fault);
  }

  takeFault(): FakeFault | undefined {
    return this.faults.shift();
  }

  accept(post: AcceptedPost): void {
    this.posts.push(post);
    this.emit('accepted', post);
  }

  /** Resolves with the next accepted post. */
  nextAccepted(): Promise<AcceptedPost> {
    return new Promise((resolve) => this.once('accepted', resolve));
  }
}

export interface FakeServer {
  url: string;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, url: URL) => Promise<void> | void;

export async function startFakeServer(handler: Handler, controls: FakeControls): Promise<FakeServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const run = async () => {
        if (controls.latencyMs > 0) await sleep(controls.latencyMs);
        await handler(req, res, body, url);
      };
      run().catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'fake crashed', message: (error as Error).message });
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Never answers: the request stays open until the client gives up or the fake closes. */
export function hold(_res: ServerResponse): void {}

export function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

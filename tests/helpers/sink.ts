import { type IncomingMessage, type Server, createServer } from 'node:http';

/**
 * An HTTP sink that stands in for a provider. A message counts as accepted only once the sink has answered it,
 * as with a real API; `holdNext()` keeps the next request unanswered until released, so a test can kill the
 * sender in the middle of a send.
 */
export class HttpSink {
  readonly accepted: Array<{ key: string; body: string }> = [];
  private server: Server;
  private holds: Array<(req: IncomingMessage) => Promise<void>> = [];
  url = '';

  constructor() {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString();
      const hold = this.holds.shift();
      if (hold) await hold(req);
      if (req.socket.destroyed) return; // the sender died: nothing was accepted
      this.accepted.push({ key: String(req.headers['idempotency-key'] ?? ''), body });
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: `msg-${this.accepted.length}` }));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/messages`;
    return this;
  }

  /** The next request waits until the returned `release` is called; `arrived` resolves when it comes in. */
  holdNext() {
    let release!: () => void;
    let arrived!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const arrival = new Promise<void>((r) => (arrived = r));
    this.holds.push(async (req) => {
      arrived();
      await Promise.race([released, new Promise<void>((r) => req.socket.once('close', () => r()))]);
    });
    return { arrival, release };
  }

  close() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

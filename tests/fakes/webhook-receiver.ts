import http from 'node:http';
import { Webhook } from 'standardwebhooks';

// A subscriber's webhook endpoint on 127.0.0.1: verifies each delivery's Standard Webhooks signature with the
// subscriber's secret and keeps what it accepted. It can answer the next requests with an HTTP error or late.

export interface ReceivedWebhook {
  id: string;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  /** Deliveries whose signature verified, oldest first. */
  received: ReceivedWebhook[];
  /** Requests whose signature did not verify. */
  refused: number;
  /** The next answer: this status (with Retry-After for 429), or no answer for `delayMs`. */
  failNext(answer: { status: number; retryAfterSeconds?: number } | { delayMs: number }): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const answers: Array<{ status: number; retryAfterSeconds?: number } | { delayMs: number }> = [];
  const state = { refused: 0 };
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      const answer = answers.shift();
      if (answer && 'delayMs' in answer) await new Promise((r) => setTimeout(r, answer.delayMs));
      else if (answer) {
        response.writeHead(
          answer.status,
          answer.retryAfterSeconds ? { 'retry-after': String(answer.retryAfterSeconds) } : {},
        );
        return response.end();
      }
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifier.verify(body, {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        });
      } catch {
        state.refused++;
        response.writeHead(400);
        return response.end();
      }
      received.push({ id: String(request.headers['webhook-id']), body });
      response.writeHead(204);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/herald`,
    received,
    get refused() {
      return state.refused;
    },
    failNext: (answer) => answers.push(answer),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

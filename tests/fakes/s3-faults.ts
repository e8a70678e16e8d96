import { randomBytes } from 'node:crypto';
import http from 'node:http';

// A proxy in front of an S3-compatible server (s3rver) that answers chosen requests with S3's own errors, as
// AWS documents them (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): an XML <Error> body
// with Code and Message; 503 SlowDown when throttling, 500 InternalError, 403 AccessDenied.

export type S3Fault = 'SlowDown' | 'InternalError' | 'AccessDenied';

const STATUS: Record<S3Fault, number> = { SlowDown: 503, InternalError: 500, AccessDenied: 403 };
const MESSAGE: Record<S3Fault, string> = {
  SlowDown: 'Please reduce your request rate.',
  InternalError: 'We encountered an internal error. Please try again.',
  AccessDenied: 'Access Denied',
};

export interface S3FaultProxy {
  /** The endpoint to give the S3 client instead of the server's. */
  url: string;
  /** Answers the next `count` requests with the fault (an S3 client tries a call more than once). */
  failNext(fault: S3Fault, count: number): void;
  close(): Promise<void>;
}

export async function startS3FaultProxy(upstream: string): Promise<S3FaultProxy> {
  const target = new URL(upstream);
  const faults: S3Fault[] = [];
  const server = http.createServer((request, response) => {
    const fault = faults.shift();
    if (fault) {
      request.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault}</Code><Message>${MESSAGE[fault]}</Message><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
      response.writeHead(STATUS[fault], {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
      return;
    }
    const forwarded = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    failNext: (fault, count) => faults.push(...Array<S3Fault>(count).fill(fault)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

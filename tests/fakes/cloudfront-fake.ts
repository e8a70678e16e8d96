import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { XMLParser } from 'fast-xml-parser';

// CloudFront's CreateInvalidation as its API reference documents it: POST /2020-05-31/distribution/{Id}/invalidation
// with an <InvalidationBatch> (CallerReference, Paths: Quantity + Items/Path), answered 201 with a Location header
// and an <Invalidation> (Id, Status, CreateTime, InvalidationBatch). Errors are <ErrorResponse><Error> with Type,
// Code and Message: 404 NoSuchDistribution, 400 InconsistentQuantities, and whatever failNext queues (503
// ServiceUnavailable, 400 TooManyInvalidationsInProgress). A repeated CallerReference returns the first invalidation.

const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';

export interface Invalidation {
  id: string;
  distributionId: string;
  callerReference: string;
  paths: string[];
  authorized: boolean;
}

export interface CloudFrontFake {
  url: string;
  invalidations: Invalidation[];
  failNext(status: number, code: string, count?: number): void;
  close(): Promise<void>;
}

export async function startCloudFrontFake(distributions: string[]): Promise<CloudFrontFake> {
  const invalidations: Invalidation[] = [];
  const byReference = new Map<string, Invalidation>();
  const faults: Array<{ status: number; code: string }> = [];
  const parser = new XMLParser({ isArray: (name) => name === 'Path' });
  const error = (res: http.ServerResponse, status: number, code: string, message: string) => {
    const body = `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`;
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomBytes(8).toString('hex') });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) return error(res, 404, 'NotFound', 'no such operation');
      const fault = faults.shift();
      if (fault) return error(res, fault.status, fault.code, `${fault.code} (injected)`);
      const distributionId = decodeURIComponent(match[1]!);
      if (!distributions.includes(distributionId))
        return error(res, 404, 'NoSuchDistribution', 'The specified distribution does not exist.');
      const batch = parser.parse(Buffer.concat(chunks).toString()).InvalidationBatch;
      if (!batch?.CallerReference || !batch.Paths)
        return error(res, 400, 'MissingBody', 'InvalidationBatch is required');
      const paths: string[] = (batch.Paths.Items?.Path ?? []).map(String);
      if (Number(batch.Paths.Quantity) !== paths.length)
        return error(res, 400, 'InconsistentQuantities', 'Quantity does not match the number of paths');
      const reference = String(batch.CallerReference);
      let invalidation = byReference.get(reference);
      if (!invalidation) {
        invalidation = {
          id: `I${randomBytes(6).toString('hex').toUpperCase()}`,
          distributionId,
          callerReference: reference,
          paths,
          authorized: /^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? '')),
        };
        invalidations.push(invalidation);
        byReference.set(reference, invalidation);
      }
      const items = invalidation.paths.map((p) => `<Path>${p}</Path>`).join('');
      const body = `<?xml version="1.0"?>\n<Invalidation xmlns="${NS}"><Id>${invalidation.id}</Id><Status>InProgress</Status><CreateTime>${new Date().toISOString()}</CreateTime><InvalidationBatch><CallerReference>${reference}</CallerReference><Paths><Quantity>${invalidation.paths.length}</Quantity><Items>${items}</Items></Paths></InvalidationBatch></Invalidation>`;
      res.writeHead(201, {
        'content-type': 'text/xml',
        location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${invalidation.id}`,
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    invalidations,
    failNext: (status, code, count = 1) => {
      for (let i = 0; i < count; i++) faults.push({ status, code });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

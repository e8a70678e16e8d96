import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** s3rver accepts any signature made with these. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * A local S3-compatible server (s3rver) on a free port with the bucket `status`, keeping its objects under
 * `<root>/s3`. Clients address it path-style at `endpoint`.
 */
export async function startS3rver(root: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const { default: S3rver } = (await import('s3rver' as string)) as {
    default: new (o: object) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  };
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(root, 's3'),
    configureBuckets: [{ name: 'status' }],
  });
  const address = await server.run();
  return { endpoint: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

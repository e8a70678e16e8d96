import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time bearer check; with no token configured the admin API refuses everything. */
export function bearerAuth(expected: string | undefined) {
  const expectedDigest = expected ? digest(expected) : undefined;
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    if (!expectedDigest) {
      return reply
        .status(401)
        .send({ error: 'unauthorized', message: 'admin API is disabled: set HERALD_API_TOKEN on the server' });
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) {
      return reply
        .status(401)
        .send({ error: 'unauthorized', message: 'missing bearer token: send Authorization: Bearer $HERALD_API_TOKEN' });
    }
    if (!timingSafeEqual(digest(match[1]!.trim()), expectedDigest)) {
      return reply.status(401).send({ error: 'unauthorized', message: 'wrong API token' });
    }
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Constant-time bearer check against the token in `variable`; with no token configured, everything is refused
 * (the admin API), unless `openWhenUnset` (/metrics: a token is optional there).
 */
export function bearerAuth(
  expected: string | undefined,
  { variable = 'HERALD_API_TOKEN', what = 'admin API', label = 'API', openWhenUnset = false } = {},
) {
  const expectedDigest = expected ? digest(expected) : undefined;
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    if (!expectedDigest) {
      if (openWhenUnset) return;
      return reply
        .status(401)
        .send({ error: 'unauthorized', message: `${what} is disabled: set ${variable} on the server` });
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: `missing bearer token: send Authorization: Bearer $${variable}` });
    }
    // Digests of equal length, so the comparison takes the same time whatever the token's length.
    if (!timingSafeEqual(digest(match[1]!.trim()), expectedDigest)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({ error: 'unauthorized', message: `wrong ${label} token; send the value of ${variable}` });
    }
  };
}

import type { FastifyReply, FastifyRequest } from 'fastify';

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * The admin API takes JSON only: a body of any other media type (a form, text/plain) gets 415 naming the type,
 * before it is parsed. A request without a body (GET, DELETE, a POST with nothing to send) passes whatever its
 * Content-Type. Routes that take forms (/subscribe, Twilio's inbound SMS) live outside /api/v1.
 */
export async function requireJsonBody(request: FastifyRequest, reply: FastifyReply) {
  if (!hasBody(request)) return;
  const raw = request.headers['content-type'];
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return;
  const problem = raw ? `is '${raw.slice(0, 100)}'; the admin API takes JSON only` : 'is missing';
  return reply.status(415).send({
    error: 'unsupported_media_type',
    message: `Content-Type: ${problem}; send the body as application/json`,
    details: [{ field: 'Content-Type', problem }],
  });
}

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import { describeIssues } from '../domain/schemas.js';
import { QueueUnavailableError } from '../pipeline/queues.js';
import { isConnectionError, isSqliteBusy } from '../store/db.js';

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

/** Validates a body against its schema; a failure names each field and its problem (HTTP 400). */
export function parseInput<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw InputError.field('(body)', 'must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new InputError(describeIssues(result.error).details);
  return result.data;
}

/** A list route's `limit` query parameter: a whole number from 1 to 1000, 100 when absent (HTTP 400 otherwise). */
export function pageLimit(raw: string | undefined): number {
  const limit = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw InputError.field('limit', 'must be a whole number from 1 to 1000');
  return limit;
}

export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof InputError)
    return { status: 400, body: { error: 'invalid_request', message: error.message, details: error.details } };
  if (error instanceof NotFoundError) return { status: 404, body: { error: 'not_found', message: error.message } };
  if (error instanceof StateConflictError)
    return {
      status: 409,
      body: { error: 'conflict', message: error.message, ...(error.details ? { details: error.details } : {}) },
    };
  if (error instanceof QueueUnavailableError)
    return { status: 503, body: { error: 'unavailable', message: `${error.message}; nothing was stored, try again` } };
  // SQLite's extended busy codes (SQLITE_BUSY_SNAPSHOT: another process wrote first) are as transient as SQLITE_BUSY.
  if (isSqliteBusy(error)) {
    return { status: 503, body: { error: 'unavailable', message: 'database busy; nothing was stored, try again' } };
  }
  if (isConnectionError(error))
    return {
      status: 503,
      body: { error: 'unavailable', message: 'database unreachable; nothing was stored, try again' },
    };
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: { error: 'payload_too_large', message: 'request body is larger than the 1 MiB limit' },
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: 'unsupported_media_type', message: 'send the body as application/json' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { error: 'invalid_request', message: '(body): is empty; send a JSON object' } };
    case 'FST_ERR_BAD_URL':
      return {
        status: 400,
        body: {
          error: 'invalid_request',
          message: 'path: is not a valid URL (bad percent-encoding); encode ids with encodeURIComponent',
        },
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { error: 'invalid_request', message: 'Content-Length does not match the body' } };
  }
  if (error instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return {
      status: 400,
      body: { error: 'invalid_request', message: `(body): is not valid JSON (${(error as Error).message})` },
    };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: { error: 'invalid_request', message: fastifyError.message } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error; the details are in the server log' } };
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { status, body } = errorResponse(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  return reply.status(status).send(body);
}

import type { FastifyRequest } from 'fastify';
import { InputError, NotFoundError } from '../domain/errors.js';

// PostgreSQL cannot store U+0000 in text (SQLite can), so a NUL anywhere in a path id or a body turned into a
// database error and an HTTP 500 on PostgreSQL only. No legitimate input holds one: refuse it at the edge, the
// same on both databases — an id in the path cannot exist (404), a body field is bad input (400, naming it).
// A lone surrogate (JSON's "\ud800" with no pair) is no character at all: it cannot be written as UTF-8 (a
// database, an email, a post would get U+FFFD or fail), so a body field holding one is bad input too.

const NUL = '\u0000';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const shown = (s: string) =>
  s
    .replaceAll(NUL, '\\u0000')
    .replace(new RegExp(LONE_SURROGATE.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16)}`);

const NUL_PROBLEM = 'must not contain NUL (\\u0000) characters';
const SURROGATE_PROBLEM =
  'must not contain a lone surrogate (an unpaired \\ud800–\\udfff escape); send well-formed Unicode text';

type Finding = { path: string[]; problem: string };

const problemOf = (s: string) => (s.includes(NUL) ? NUL_PROBLEM : LONE_SURROGATE.test(s) ? SURROGATE_PROBLEM : null);

function findBad(value: unknown, path: string[], depth = 0): Finding | undefined {
  if (typeof value === 'string') {
    const problem = problemOf(value);
    return problem ? { path, problem } : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const problem = problemOf(key);
    if (problem) return { path: [...path, key], problem };
    const found = findBad(child, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

export async function refuseNulCharacters(request: FastifyRequest) {
  for (const value of Object.values((request.params ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && problemOf(value)) throw new NotFoundError('record', shown(value));
  }
  const body = findBad(request.body, []);
  if (body) throw InputError.field(body.path.map(shown).join('.') || '(body)', body.problem);
  const query = findBad(request.query, []);
  if (query) throw InputError.field(query.path.map(shown).join('.'), query.problem);
}

import type { FastifyRequest } from 'fastify';
import { InputError, NotFoundError } from '../domain/errors.js';

// PostgreSQL cannot store U+0000 in text (SQLite can), so a NUL anywhere in a path id or a body turned into a
// database error and an HTTP 500 on PostgreSQL only. No legitimate input holds one: refuse it at the edge, the
// same on both databases — an id in the path cannot exist (404), a body field is bad input (400, naming it).

const NUL = '\u0000';
const shown = (s: string) => s.replaceAll(NUL, '\\u0000');

function findNul(value: unknown, path: string[], depth = 0): string[] | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes(NUL)) return [...path, key];
    const found = findNul(child, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

export async function refuseNulCharacters(request: FastifyRequest) {
  for (const value of Object.values((request.params ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && value.includes(NUL)) throw new NotFoundError('record', shown(value));
  }
  const at = findNul(request.body, []);
  if (at) throw InputError.field(at.map(shown).join('.') || '(body)', 'must not contain NUL (\\u0000) characters');
  const query = findNul(request.query, []);
  if (query) throw InputError.field(query.map(shown).join('.'), 'must not contain NUL (\\u0000) characters');
}

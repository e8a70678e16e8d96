import { randomFillSync } from 'node:crypto';

// ULID-style ids: 10 characters of milliseconds, then 16 random, in Crockford's base32 lower-cased — opaque,
// sortable by creation time, URL- and BullMQ-safe (no ':'). Randomness comes from a pooled buffer: asking the
// system for 10 bytes per id was a measurable share of a publish.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomChars(count: number): string {
  if (offset + count > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = '';
  for (let i = 0; i < count; i++) out += ALPHABET[pool[offset++]! & 31];
  return out;
}

function timeChars(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

export const newId = (): string => timeChars(Date.now()) + randomChars(16);

export const nowIso = (): string => new Date().toISOString();

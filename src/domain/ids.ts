import { ulid } from 'ulid';

/** Opaque, sortable, URL- and BullMQ-safe (no ':'): 26 lower-case base32 characters. */
export const newId = (): string => ulid().toLowerCase();

export const nowIso = (): string => new Date().toISOString();

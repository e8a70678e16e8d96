import { createHmac, timingSafeEqual } from 'node:crypto';

// Links in confirmation and unsubscribe messages carry a token: HMAC-SHA256 over (purpose, subscriber id,
// expiry) with HERALD_SECRET. Nothing is stored per token; a changed secret invalidates every link.

export type TokenPurpose = 'confirm' | 'unsubscribe' | 'manage';

export const CONFIRM_TOKEN_TTL_MS = 48 * 3600_000;
/** Unsubscribe links sit in old emails: they stay valid for a year. */
export const UNSUBSCRIBE_TOKEN_TTL_MS = 365 * 24 * 3600_000;

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest();

/** `<purpose>.<subscriberId>.<expiry seconds>.<base64url mac>` — URL-safe, no ':' or '/'. */
function signToken(secret: string, purpose: TokenPurpose, subscriberId: string, expiresAtMs: number): string {
  const payload = `${purpose}.${subscriberId}.${Math.floor(expiresAtMs / 1000)}`;
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

export type TokenCheck =
  | { ok: true; subscriberId: string; expiresAtMs: number }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' | 'wrong-purpose' };

export function verifyToken(secret: string, purpose: TokenPurpose, token: unknown, now = Date.now()): TokenCheck {
  if (typeof token !== 'string' || token.length > 300) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [tokenPurpose, subscriberId, expiry, signature] = parts as [string, string, string, string];
  if (!/^[a-z]+$/.test(tokenPurpose) || !/^[0-9a-z]{1,64}$/.test(subscriberId) || !/^\d{1,12}$/.test(expiry))
    return { ok: false, reason: 'malformed' };
  const expected = mac(secret, `${tokenPurpose}.${subscriberId}.${expiry}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  if (tokenPurpose !== purpose) return { ok: false, reason: 'wrong-purpose' };
  const expiresAtMs = Number(expiry) * 1000;
  if (expiresAtMs < now) return { ok: false, reason: 'expired' };
  return { ok: true, subscriberId, expiresAtMs };
}

export function confirmUrl(publicUrl: string, secret: string, subscriberId: string, now = Date.now()): string {
  return `${publicUrl.replace(/\/+$/, '')}/subscribe/confirm?token=${signToken(secret, 'confirm', subscriberId, now + CONFIRM_TOKEN_TTL_MS)}`;
}

/** The preference page's link, in every email: valid as long as an unsubscribe link. */
export function manageUrl(appUrl: string, secret: string, subscriberId: string, now = Date.now()): string {
  return `${appUrl.replace(/\/+$/, '')}/subscribe/manage?token=${signToken(secret, 'manage', subscriberId, now + UNSUBSCRIBE_TOKEN_TTL_MS)}`;
}

export function unsubscribeUrl(publicUrl: string, secret: string, subscriberId: string, now = Date.now()): string {
  return `${publicUrl.replace(/\/+$/, '')}/unsubscribe?token=${signToken(secret, 'unsubscribe', subscriberId, now + UNSUBSCRIBE_TOKEN_TTL_MS)}`;
}

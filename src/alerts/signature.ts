import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * PagerDuty's V3 webhook signature: `X-PagerDuty-Signature` holds one or more comma-separated `v1=<hex>`
 * (several while a secret is rotated), each the HMAC-SHA256 of the raw body under a signing secret. True when any
 * signature matches any of Herald's secrets; every comparison is constant-time.
 */
export function pagerdutySignatureValid(rawBody: Buffer, header: string | undefined, secrets: string[]): boolean {
  if (!header || secrets.length === 0) return false;
  const given = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => Buffer.from(s.slice(3), 'utf8'));
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'), 'utf8');
    for (const signature of given)
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
  }
  return valid;
}

export function pagerdutySignature(rawBody: string | Buffer, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

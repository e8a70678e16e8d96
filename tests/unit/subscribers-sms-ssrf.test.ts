import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitSms, segmentsOf, smsMeasure } from '../../src/channels/sms/segments.js';
import { blockedAddressReason, checkWebhookUrlForm } from '../../src/lib/ssrf.js';
import { confirmUrl, verifyToken } from '../../src/domain/link-tokens.js';

describe('SMS segments', () => {
  it('counts GSM-7, extension characters and UCS-2', () => {
    expect(segmentsOf('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(segmentsOf('a'.repeat(161))).toMatchObject({ segments: 2 });
    expect(segmentsOf('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(segmentsOf('€'.repeat(81))).toMatchObject({ units: 162, segments: 2 });
    expect(segmentsOf('é'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(segmentsOf('ł'.repeat(70))).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(segmentsOf('ł'.repeat(71))).toMatchObject({ segments: 2 });
    expect(segmentsOf('😀'.repeat(35))).toMatchObject({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(segmentsOf('é'.repeat(10) + '😀'.repeat(36))).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    // Nothing to send costs nothing.
    expect(segmentsOf('')).toMatchObject({ encoding: 'GSM-7', units: 0, segments: 0 });
  });
  it('measures a text against the budget and names the characters that force UCS-2', () => {
    expect(smsMeasure('a'.repeat(161), 2)).toMatchObject({
      label: 'SMS segments',
      value: 2,
      limit: 2,
      detail: 'GSM-7, 161 septets',
    });
    expect(smsMeasure('a'.repeat(161), 2).advice).toBeUndefined();
    const forced = smsMeasure('Outage ✅ fixed ✅ 😀', 1);
    expect(forced).toMatchObject({ value: 1, detail: 'UCS-2, 19 code units' });
    expect(forced.advice).toBe("'✅' '😀' switch the SMS to UCS-2 (70 characters per segment instead of 160)");
  });
  it('fits any body in the budget and keeps head and tail', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 800 }), fc.integer({ min: 1, max: 4 }), (body, max) => {
        const text = fitSms({ head: 'Status: Investigating', body, tail: 'https://s.example/i/1.html' }, max);
        expect(segmentsOf(text).segments).toBeLessThanOrEqual(max);
        expect(text.startsWith('Status: Investigating')).toBe(true);
        expect(text.endsWith('https://s.example/i/1.html')).toBe(true);
      }),
    );
  });
});

describe('SSRF address checks', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd12::1',
    'fe80::1',
    '::ffff:7f00:1',
    '::ffff:8.8.8.8',
  ])('refuses %s', (ip) => {
    expect(blockedAddressReason(ip)).not.toBeNull();
  });
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])('allows %s', (ip) => {
    expect(blockedAddressReason(ip)).toBeNull();
  });
  it.each([
    'https://2130706433/',
    'https://0177.0.0.1/',
    'https://0x7f.1/',
    'https://127.1/',
    'https://[::ffff:127.0.0.1]/',
    'http://example.com/',
    'ftp://example.com/',
  ])('refuses the URL %s', (url) => {
    expect(() => checkWebhookUrlForm(url, { allowPrivate: false })).toThrow();
  });
});

describe('HMAC tokens', () => {
  const confirmToken = (secret: string, subscriberId: string, now?: number) =>
    new URL(confirmUrl('https://status.example.test', secret, subscriberId, now)).searchParams.get('token')!;

  it('verify, expire after 48 hours and refuse tampering', () => {
    const token = confirmToken('k', 'abc123');
    expect(verifyToken('k', 'confirm', token)).toMatchObject({ ok: true, subscriberId: 'abc123' });
    expect(verifyToken('k', 'unsubscribe', token)).toMatchObject({ ok: false });
    expect(verifyToken('other', 'confirm', token)).toMatchObject({ ok: false, reason: 'forged' });
    expect(verifyToken('k', 'confirm', token.replace('abc123', 'abc124'))).toMatchObject({
      ok: false,
      reason: 'forged',
    });
    const fortyEightHours = 48 * 3600_000;
    const nearlyExpired = confirmToken('k', 'abc123', Date.now() - fortyEightHours + 60_000);
    expect(verifyToken('k', 'confirm', nearlyExpired)).toMatchObject({ ok: true });
    expect(verifyToken('k', 'confirm', confirmToken('k', 'abc123', Date.now() - fortyEightHours - 1000))).toMatchObject(
      {
        ok: false,
        reason: 'expired',
      },
    );
  });
});

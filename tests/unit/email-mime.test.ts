import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { personalisedParts } from '../../src/channels/email/mime.js';
import {
  type EmailMessage,
  MANAGE_PLACEHOLDER,
  UNSUBSCRIBE_PLACEHOLDER,
  personalise,
} from '../../src/channels/email/render.js';

// The bodies encoded once per update, links put in per recipient, must read exactly as nodemailer's own
// encoding of the personalised bodies: compared through a real MIME parser, and every line within 76 characters.
const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });

async function both(message: EmailMessage, links: { unsubscribeUrl: string; manageUrl: string }) {
  const send = async (bodies: object) =>
    (await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', subject: 's', ...bodies }))
      .message as Buffer;
  const fast = await send(personalisedParts(message, links));
  const plain = await send(personalise(message, links));
  return { fast, plain, fastMail: await simpleParser(fast), plainMail: await simpleParser(plain) };
}

const message = (html: string, text: string): EmailMessage => ({
  subject: 's',
  html,
  text,
  incidentId: 'i',
  updateId: 'u',
  isFirst: true,
});

const links = {
  unsubscribeUrl: 'https://app.example.test/unsubscribe?token=abc.DEF_123-xyz&x="<>',
  manageUrl: 'https://app.example.test/subscribe/manage?token=ghi.JKL_456-uvw',
};

describe('email bodies encoded once per update', () => {
  it('read as the personalised bodies, links in place, lines within 76', async () => {
    const html = `<p style="margin:0;padding:24px 12px;background:#f6f7f9;font-family:-apple-system,Segoe UI">Café · 東京 ✅ =3D</p>\n<a href="${MANAGE_PLACEHOLDER}">Manage</a> · <a href="${UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a>\n`;
    const text = `Résolu.  \n\nManage: ${MANAGE_PLACEHOLDER}\nUnsubscribe: ${UNSUBSCRIBE_PLACEHOLDER}`;
    const { fast, fastMail, plainMail } = await both(message(html, text), links);
    expect(fastMail.html).toBe(plainMail.html);
    expect(fastMail.text).toBe(plainMail.text);
    expect(fastMail.html).toContain(
      'href="https://app.example.test/unsubscribe?token=abc.DEF_123-xyz&amp;x=&quot;&lt;&gt;"',
    );
    expect(fastMail.text).toContain(`Manage: ${links.manageUrl}\n`);
    for (const line of fast.toString('latin1').split(/\r?\n/)) expect(line.length).toBeLessThanOrEqual(76);
  });

  it('read as the personalised bodies whatever the text and links (property)', async () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.constantFrom(UNSUBSCRIBE_PLACEHOLDER, MANAGE_PLACEHOLDER, ' ', '\n', '\t', '=', '  \n', 'x'.repeat(90)),
    );
    const body = fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join(''));
    const link = fc.webUrl({ withQueryParameters: true, withFragments: true });
    await fc.assert(
      fc.asyncProperty(body, body, link, link, async (html, text, unsubscribeUrl, manageUrl) => {
        const { fast, fastMail, plainMail } = await both(message(html, text), { unsubscribeUrl, manageUrl });
        expect(fastMail.html || '').toBe(plainMail.html || '');
        expect(fastMail.text ?? '').toBe(plainMail.text ?? '');
        for (const line of fast.toString('latin1').split(/\r?\n/)) expect(line.length).toBeLessThanOrEqual(76);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a line within 76 when the last line before a link is full (found by the property above)', async () => {
    const text = `\u00a0\u0800\u00a0\u0800\u0800\u{10000}U\u0308\u0304\u{10000}${UNSUBSCRIBE_PLACEHOLDER}`;
    const { fast, fastMail, plainMail } = await both(message(' ', text), {
      unsubscribeUrl: 'http://a.aa',
      manageUrl: 'http://a.aa',
    });
    expect(fastMail.text).toBe(plainMail.text);
    for (const line of fast.toString('latin1').split(/\r?\n/)) expect(line.length).toBeLessThanOrEqual(76);
  });
});

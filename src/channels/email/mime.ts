import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { type EmailMessage, MANAGE_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, escapeHtml, personalise } from './render.js';

/**
 * The bodies of an update's email as nodemailer writes them (quoted-printable), encoded once per update: the
 * recipient's own links go in between the encoded pieces at send time. Decoded, each body is exactly
 * `personalise(message, links)`. nodemailer would otherwise scan and encode the whole HTML again for every
 * recipient, the larger part of an email's CPU in a fan-out (see docs/benchmarks.md, email-fanout).
 */
interface EncodedBody {
  /** The part's MIME headers and the blank line after them. */
  head: string;
  /** Quoted-printable pieces, each wrapped at 75; `links[i]` goes between `pieces[i]` and `pieces[i + 1]`. */
  pieces: string[];
  links: Array<'unsubscribeUrl' | 'manageUrl'>;
}

const PLACEHOLDERS = new RegExp(`(${UNSUBSCRIBE_PLACEHOLDER}|${MANAGE_PLACEHOLDER})`);

function encodeBody(body: string, contentType: string): EncodedBody {
  const parts = body.split(PLACEHOLDERS);
  return {
    head: `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`,
    pieces: parts.filter((_, i) => i % 2 === 0).map(qp),
    links: parts.filter((_, i) => i % 2 === 1).map((p) => (p === MANAGE_PLACEHOLDER ? 'manageUrl' : 'unsubscribeUrl')),
  };
}

// Wrapped at 75, not 76: a piece's last line is followed by the soft break (`=`) that joins it to the next piece,
// and RFC 2045 allows 76 characters with it.
const qp = (text: string) => qpWrap(qpEncode(text), 75);

/** Pieces joined by soft line breaks (`=` at a line's end), so no line passes 76 characters. */
function fill(body: EncodedBody, links: { unsubscribeUrl: string; manageUrl: string }, encode: (s: string) => string) {
  let out = body.head;
  let open = false;
  const add = (encoded: string) => {
    if (encoded === '') return;
    out += open ? `=\r\n${encoded}` : encoded;
    open = true;
  };
  body.pieces.forEach((piece, i) => {
    add(piece);
    const link = body.links[i];
    if (link) add(qp(encode(links[link])));
  });
  return out;
}

const encoded = new WeakMap<EmailMessage, { html: EncodedBody; text: EncodedBody }>();

/**
 * nodemailer's `html` and `text` for one recipient: pre-encoded MIME parts (`raw`) of a multipart/alternative
 * message. A message with an empty body is a single part, whose node would carry the message's own headers:
 * that one goes through nodemailer's own encoding.
 */
export function personalisedParts(
  message: EmailMessage,
  links: { unsubscribeUrl: string; manageUrl: string },
): { html: { raw: string } | string; text: { raw: string } | string } {
  if (message.html === '' || message.text === '') return personalise(message, links);
  let bodies = encoded.get(message);
  if (!bodies) {
    bodies = { html: encodeBody(message.html, 'text/html'), text: encodeBody(message.text, 'text/plain') };
    encoded.set(message, bodies);
  }
  return {
    html: { raw: fill(bodies.html, links, escapeHtml) },
    text: { raw: fill(bodies.text, links, (s) => s) },
  };
}

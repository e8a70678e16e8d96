/**
 * Headers for every status page response: no inline script or style, no framing, no sniffing. The subscribe form
 * posts to Herald's own address (HERALD_APP_URL) and its script asks that address whether it answers, so that
 * origin is allowed for forms and connections when it differs from the page's.
 */
export function statusPageCsp(appUrl?: string, frameAncestors = "'none'"): string {
  const app = appUrl ? ` ${new URL(appUrl).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${app}`,
    `form-action 'self'${app}`,
    `frame-ancestors ${frameAncestors}`,
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function securityHeaders(appUrl?: string): Readonly<Record<string, string>> {
  return {
    'content-security-policy': statusPageCsp(appUrl),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/**
 * embed.html's headers: the same policy, but framed by the pages `ancestors` allows (see embedFrameAncestors), and
 * no X-Frame-Options (it cannot name origins; browsers that know frame-ancestors ignore it anyway).
 */
export function embedHeaders(appUrl: string | undefined, ancestors: string): Readonly<Record<string, string>> {
  const { 'x-frame-options': _, ...rest } = securityHeaders(appUrl);
  return { ...rest, 'content-security-policy': statusPageCsp(appUrl, ancestors) };
}

/** The page that is meant to be framed by other sites: the status widget. */
export const EMBED_PAGE = 'embed.html';

/**
 * Who may frame embed.html by default: anyone. The widget holds nothing to trick a visitor into (no form, no
 * button, no state: only links to the public page, opened in the top window), so framing it elsewhere cannot make
 * anyone act against their will, and a widget is for embedding.
 */
export const DEFAULT_EMBED_ANCESTORS: readonly string[] = ['*'];

const ORIGIN = /^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?$/;

/**
 * `site.embedAncestors` as a CSP source list: `*`, `'self'` or origins (`https://www.example.com`,
 * `https://*.example.com`); an empty list: no framing (`'none'`). Anything else (a path, a quote, a `;` that would
 * start another directive) is refused with the value and the fix named.
 */
export function embedFrameAncestors(list: readonly string[] | undefined): string {
  const values = list ?? DEFAULT_EMBED_ANCESTORS;
  if (!Array.isArray(values))
    throw new Error("site.embedAncestors must be a list of origins, e.g. ['https://www.example.com']");
  if (values.length === 0) return "'none'";
  return values
    .map((raw, i) => {
      const value = typeof raw === 'string' ? raw.trim().replace(/\/$/, '').toLowerCase() : '';
      if (value === '*' || value === "'self'" || ORIGIN.test(value)) return value;
      throw new Error(
        `site.embedAncestors[${i}] '${String(raw)}' is not an origin: write one like 'https://www.example.com' or ` +
          `'https://*.example.com' (scheme and host, no path), '*' for any site or "'self'"`,
      );
    })
    .join(' ');
}

/** The policy of pages whose forms post to their own origin (Herald's own answer pages). */
export const STATUS_PAGE_CSP = statusPageCsp();
export const SECURITY_HEADERS = securityHeaders();

/**
 * Headers for every status page response: no inline script or style, no framing, no sniffing. The subscribe form
 * posts to Herald's own address (HERALD_APP_URL) and its script asks that address whether it answers, so that
 * origin is allowed for forms and connections when it differs from the page's.
 */
export function statusPageCsp(appUrl?: string): string {
  const app = appUrl ? ` ${new URL(appUrl).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${app}`,
    `form-action 'self'${app}`,
    "frame-ancestors 'none'",
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

/** The policy of pages whose forms post to their own origin (Herald's own answer pages). */
export const STATUS_PAGE_CSP = statusPageCsp();
export const SECURITY_HEADERS = securityHeaders();

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/env.js';
import { validateConfig } from '../../src/config/load.js';
import { embedFrameAncestors, embedHeaders } from '../../src/statuspage/security-headers.js';

describe('site.embedAncestors', () => {
  it('defaults to any site; lists origins, wildcards and self; [] frames nowhere', () => {
    expect(embedFrameAncestors(undefined)).toBe('*');
    expect(embedFrameAncestors(['https://www.example.com', 'https://*.example.org:8443/', "'self'"])).toBe(
      "https://www.example.com https://*.example.org:8443 'self'",
    );
    expect(embedFrameAncestors(['HTTPS://WWW.Example.COM'])).toBe('https://www.example.com');
    expect(embedFrameAncestors([])).toBe("'none'");
  });

  it('refuses what is not an origin, naming the entry and the fix: nothing can add a directive', () => {
    for (const bad of [
      'https://example.com; script-src *',
      'https://example.com/path',
      'example.com',
      'javascript:alert(1)',
      "'unsafe-inline'",
      'https://exa mple.com',
      '',
    ]) {
      expect(() => embedFrameAncestors(['https://ok.example', bad])).toThrow(
        /site\.embedAncestors\[1\] .* is not an origin: write one like 'https:\/\/www\.example\.com'/,
      );
    }
    expect(() => validateConfig({ site: { embedAncestors: ['https://a.example/x'] }, channels: [] })).toThrow(
      ConfigError,
    );
  });

  it("embed.html's headers: the page's policy with its own frame-ancestors, and no X-Frame-Options", () => {
    const headers = embedHeaders('https://herald.example.com', 'https://www.example.com');
    expect(headers['content-security-policy']).toContain('frame-ancestors https://www.example.com;');
    expect(headers['content-security-policy']).toContain("form-action 'self' https://herald.example.com");
    expect(headers['x-frame-options']).toBeUndefined();
    expect(headers['x-content-type-options']).toBe('nosniff');
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statuspage } from '../../src/channels/statuspage/index.js';
import { ConfigError } from '../../src/config/env.js';
import { readable } from '../../src/statuspage/brand.js';
import { tempDir } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

// Herald's own answer pages (sign-up answers, confirm, unsubscribe, the preference page) wear channels.config.ts
// `site`: its name, logo, favicon and accent colour, whether or not a status page channel is configured.

const HOSTILE = `<script>alert("x")</script> & 'Co'`;
const ACCENT = '#d4145a';

function logoFile(): string {
  const path = join(tempDir(), 'logo.svg');
  writeFileSync(path, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>');
  return path;
}

describe.each([
  ['without a status page channel', false],
  ['with a status page channel', true],
])('answer pages %s wear the configured site brand', (_label, withStatusPage) => {
  let h: TestHerald;
  const logo = logoFile();

  beforeAll(async () => {
    h = await startTestHerald({
      workers: false,
      channels: withStatusPage ? [statuspage()] : [],
      site: { name: HOSTILE, accentColor: ACCENT, logo },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const urls = ['POST /subscribe', '/subscribe/confirm', '/unsubscribe', '/subscribe/manage'];
  const pages = async () => [
    await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      remoteAddress: '192.0.2.60',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'email=not-an-address',
    }),
    await h.app.inject({ method: 'GET', url: '/subscribe/confirm?token=not-a-token' }),
    await h.app.inject({ method: 'GET', url: '/unsubscribe?token=not-a-token' }),
    await h.app.inject({ method: 'GET', url: '/subscribe/manage?token=not-a-token' }),
  ];

  it('names the site (escaped), shows its logo and favicon, and loads the accent colour', async () => {
    for (const [i, page] of (await pages()).entries()) {
      const where = `${urls[i]} ${page.statusCode}`;
      expect(page.headers['content-type'], where).toMatch(/^text\/html/);
      // The hostile name reaches the page only as text.
      expect(page.body, where).not.toContain('<script>alert');
      expect(page.body, where).toContain('&lt;script&gt;alert(');
      expect(page.body, where).toContain('&amp; ');
      expect(page.body, where).not.toMatch(/<script(?![^>]*\ssrc="\/subscribe\/assets\/)/);
      // The configured logo and the accent-coloured favicon, served beside the page.
      const logoPath = /<img[^>]+src="(\/subscribe\/assets\/logo\.\w+\.svg)"/.exec(page.body)?.[1];
      expect(logoPath, where).toBeDefined();
      const logoFile = await h.app.inject({ method: 'GET', url: logoPath! });
      expect(logoFile.statusCode).toBe(200);
      expect(logoFile.body).toContain('<rect');
      const favicon = /<link rel="icon"[^>]+href="(\/subscribe\/assets\/[^"]+)"/.exec(page.body)?.[1];
      expect(favicon, where).toBeDefined();
      const icon = await h.app.inject({ method: 'GET', url: favicon! });
      expect(icon.statusCode).toBe(200);
      expect(icon.body).toContain(readable(ACCENT, '#f6f8fa'));
      // The stylesheet carries the accent colour (made readable on both backgrounds).
      const cssPath = /<link rel="stylesheet" href="(\/subscribe\/assets\/style\.\w+\.css)"/.exec(page.body)?.[1];
      const css = await h.app.inject({ method: 'GET', url: cssPath! });
      expect(css.statusCode).toBe(200);
      expect(css.body).toContain(`--accent:${readable(ACCENT, '#f6f8fa')}`);
    }
  });
});

describe('the site brand is checked at start, status page channel or not', () => {
  it('refuses a bad accent colour with a ConfigError naming the field', async () => {
    const start = startTestHerald({ workers: false, site: { accentColor: 'blue' } });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/site\.accentColor 'blue'/);
  });
});

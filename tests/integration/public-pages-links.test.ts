import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statuspage } from '../../src/channels/statuspage/index.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

// Herald's own answer pages (sign-up answers, confirm, unsubscribe, the preference page) link only to what exists:
// with a status page channel, to its pages at its own address (HERALD_PUBLIC_URL, not Herald's HERALD_APP_URL);
// without one, to none of them (Herald serves no history, feed or sign-up form of its own then).

const PAGE = 'https://status.example.test';
const APP = 'https://herald.example.test';
const SITE_PAGES = ['index.html', 'history.html', 'subscribe.html', 'history.atom', 'history.rss', 'maintenances.ics'];

const answerPages = async (h: TestHerald) =>
  Object.entries({
    'POST /subscribe': await h.app.inject({
      method: 'POST',
      url: '/subscribe',
      remoteAddress: '192.0.2.61',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'email=not-an-address',
    }),
    '/subscribe/confirm': await h.app.inject({ method: 'GET', url: '/subscribe/confirm?token=not-a-token' }),
    '/unsubscribe': await h.app.inject({ method: 'GET', url: '/unsubscribe?token=not-a-token' }),
    '/subscribe/manage': await h.app.inject({ method: 'GET', url: '/subscribe/manage?token=not-a-token' }),
  });

/** Every address the page links to or loads (a, link; not a place in the page itself), as absolute URLs resolved against Herald's own address. */
const hrefs = (html: string) =>
  [...html.matchAll(/<(?:a|link)\b[^>]*\shref="([^"#][^"]*)"/g)].map(
    (m) => new URL(m[1]!.replace(/&amp;/g, '&'), `${APP}/`),
  );

describe.each([
  ['with a status page channel', true],
  ['without a status page channel', false],
])('answer page links %s', (_label, withStatusPage) => {
  let h: TestHerald;

  beforeAll(async () => {
    h = await startTestHerald({
      workers: false,
      channels: withStatusPage ? [statuspage()] : [],
      env: { HERALD_PUBLIC_URL: PAGE, HERALD_APP_URL: APP },
    });
    // The site exists once built (the first request for it builds it).
    if (withStatusPage) expect((await h.app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('links only to addresses that answer, on the host that serves them', async () => {
    for (const [name, page] of await answerPages(h)) {
      expect(page.headers['content-type'], name).toMatch(/^text\/html/);
      const links = hrefs(page.body);
      const toPage = links.filter((u) => u.origin === PAGE).map((u) => u.pathname.slice(1));
      if (withStatusPage) {
        // The header, the footer and the way back all reach the status page at its own address...
        for (const file of SITE_PAGES) expect(toPage, `${name} links to ${file}`).toContain(file);
        // The way back under the answer (the form again has the header's instead).
        if (name !== 'POST /subscribe') expect(toPage, name).toContain('');
        // ...and none of its pages is looked for on Herald's host.
        for (const u of links.filter((u) => u.origin === APP))
          expect(u.pathname, name).toMatch(/^\/(subscribe\/assets\/|subscribe\/manage|unsubscribe)/);
      } else {
        expect(toPage, `${name} links to the status page address though there is none`).toEqual([]);
        for (const file of SITE_PAGES) expect(page.body, name).not.toContain(`${file}"`);
        expect(page.body, name).not.toContain('<nav');
        // The site's name is still there, as text.
        expect(page.body, name).toMatch(/<span class="brand">[^<]*Status<\/span>/);
      }
      // Every link answers: the status page's from the site the app serves at its own root here, Herald's own routes.
      for (const u of links) {
        const answer = await h.app.inject({ method: 'GET', url: `${u.pathname}${u.search}` });
        expect(answer.statusCode, `${name}: ${u.href}`).toBe(200);
      }
    }
  });
});

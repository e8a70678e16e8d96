import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingChannel } from '../helpers/recording-channel.js';
import type { TestHerald } from '../helpers/herald.js';
import { addUser, formPost, lookalikeChannels, signIn, startHeraldWithTemplates } from './console-helpers.js';

describe('console: editing templates and importing subscribers', () => {
  let h: TestHerald & { templatesDir: string };
  let s: { cookie: string; csrf: string };
  let viewer: { cookie: string; csrf: string };
  let componentId: string;
  const head = () => join(h.templatesDir, 'twitter', 'head.txt.hbs');
  const read = (path: string) => readFileSync(path, 'utf8');
  const hashOf = (html: string, id: string) =>
    new RegExp(`id="src-${id}"`).test(html)
      ? /name="hash" value="([0-9a-f]+)"/.exec(html.slice(html.indexOf(`id="t-${id}"`)))?.[1]
      : undefined;

  beforeAll(async () => {
    h = await startHeraldWithTemplates({ channels: [recordingChannel('recorder').definition, ...lookalikeChannels()] });
    await addUser(h, 'alice', 'commander');
    await addUser(h, 'victor', 'viewer');
    s = await signIn(h, 'alice');
    viewer = await signIn(h, 'victor');
    componentId = (await h.api('POST', '/api/v1/components', { name: 'API' })).body.id;
  });
  afterAll(async () => h?.close());

  it('saves a valid template atomically, keeps the previous version and can restore it', async () => {
    const before = read(head());
    const page = await h.app.inject({ method: 'GET', url: '/console/templates', headers: { cookie: s.cookie } });
    expect(page.body).toContain('takes effect within about a second in every running Herald process');
    expect(page.body).toContain('formaction="/console/templates/save"');
    const hash = hashOf(page.body, 'twitter-head-txt-hbs');
    expect(hash).toMatch(/^[0-9a-f]{32}$/);

    const saved = await formPost(h, '/console/templates/save', s.cookie, {
      _csrf: s.csrf,
      kind: 'twitter',
      file: 'head.txt.hbs',
      hash: hash!,
      source: '[{{statusLabel update.status}}]\r\n{{incident.title}}\r\n',
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Saved twitter/head.txt.hbs');
    expect(saved.body).toContain('takes effect within about a second');
    expect(read(head())).toBe('[{{statusLabel update.status}}]\n{{incident.title}}\n'); // CRLF from the textarea → LF
    expect(read(`${head()}.bak`)).toBe(before);
    // No temp files left behind, and the backup is not listed as a template.
    const listing = (await h.app.inject({ method: 'GET', url: '/console/templates', headers: { cookie: s.cookie } }))
      .body;
    expect(listing).not.toContain('head.txt.hbs.bak</summary>');
    expect(listing).toContain('Restore previous version of twitter/head.txt.hbs');

    // Saving from the page as it was before the save: the file changed since, nothing is written.
    const stale = await formPost(h, '/console/templates/save', s.cookie, {
      _csrf: s.csrf,
      kind: 'twitter',
      file: 'head.txt.hbs',
      hash: hash!,
      source: 'stale edit',
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('changed on disk since you opened it');
    expect(read(head())).toBe('[{{statusLabel update.status}}]\n{{incident.title}}\n');

    const restored = await formPost(h, '/console/templates/restore', s.cookie, {
      _csrf: s.csrf,
      kind: 'twitter',
      file: 'head.txt.hbs',
    });
    expect(restored.statusCode).toBe(200);
    expect(read(head())).toBe(before);
    expect(read(`${head()}.bak`)).toBe('[{{statusLabel update.status}}]\n{{incident.title}}\n');
  });

  it('refuses a template that does not compile or breaks the channel limit, and keeps the draft', async () => {
    const before = read(head());
    const broken = await formPost(h, '/console/templates/save', s.cookie, {
      _csrf: s.csrf,
      kind: 'twitter',
      file: 'head.txt.hbs',
      source: '{{#if incident.title}}open',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.body).toContain('twitter/head.txt.hbs does not compile');
    expect(broken.body).toContain('{{#if incident.title}}open</textarea>');
    const long = await formPost(h, '/console/templates/save', s.cookie, {
      _csrf: s.csrf,
      kind: 'twitter',
      file: 'head.txt.hbs',
      source: `{{incident.title}} ${'x'.repeat(300)}`,
    });
    expect(long.statusCode).toBe(400);
    expect(long.body).toMatch(
      /renders \d+ weighted characters for the sample update, over channel &#x27;twitter&#x27;&#x27;s limit of 280/,
    );
    const empty = await formPost(h, '/console/templates/save', s.cookie, {
      _csrf: s.csrf,
      kind: 'twitter',
      file: 'head.txt.hbs',
      source: '  ',
    });
    expect(empty.statusCode).toBe(400);
    expect(read(head())).toBe(before);
  });

  it('refuses path traversal, non-channel kinds, viewers and missing CSRF tokens', async () => {
    const before = read(head());
    const cases: Array<[Record<string, string>, number]> = [
      [{ kind: '..', file: 'package.json' }, 400],
      [{ kind: 'twitter', file: '../../package.json' }, 404],
      [{ kind: 'twitter', file: 'head.txt.hbs.bak' }, 404],
      [{ kind: 'twitter', file: 'nope.txt.hbs' }, 404],
      [{ kind: 'console', file: 'layout.hbs' }, 400],
      [{ kind: 'statuspage', file: 'layout.html.hbs' }, 400], // no statuspage channel in this app
    ];
    for (const [fields, status] of cases) {
      const res = await formPost(h, '/console/templates/save', s.cookie, { _csrf: s.csrf, source: 'x', ...fields });
      expect(res.statusCode, JSON.stringify(fields)).toBe(status);
      const restore = await formPost(h, '/console/templates/restore', s.cookie, { _csrf: s.csrf, ...fields });
      expect(restore.statusCode, JSON.stringify(fields)).toBeGreaterThanOrEqual(400);
    }
    expect(existsSync(join(h.templatesDir, 'console', 'layout.hbs.bak'))).toBe(false);
    const asViewer = await formPost(h, '/console/templates/save', viewer.cookie, {
      _csrf: viewer.csrf,
      kind: 'twitter',
      file: 'head.txt.hbs',
      source: 'viewer edit',
    });
    expect(asViewer.statusCode).toBe(403);
    const viewerPage = await h.app.inject({
      method: 'GET',
      url: '/console/templates',
      headers: { cookie: viewer.cookie },
    });
    expect(viewerPage.body).not.toContain('formaction="/console/templates/save"');
    const noCsrf = await formPost(h, '/console/templates/save', s.cookie, {
      kind: 'twitter',
      file: 'head.txt.hbs',
      source: 'forged',
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(read(head())).toBe(before);
  });

  it('imports pasted CSV through the admin import service and reports counts with line numbers', async () => {
    await h.api('POST', '/api/v1/subscribers', { email: 'known@example.test', confirmed: true });
    const csv = [
      'email,components',
      'new1@example.test,',
      `New2@Example.test,${componentId}`,
      'known@example.test,',
      'not-an-address,',
      'new3@example.test,no-such-component',
      'new1@example.test,',
    ].join('\r\n');
    const res = await formPost(h, '/console/subscribers/import', s.cookie, { _csrf: s.csrf, csv, confirmed: '1' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(
      'Imported 6 rows: <strong>2 added</strong>, 2 skipped (already subscribed), 0 skipped (unsubscribed or bounced earlier), 2 invalid.',
    );
    expect(res.body).toMatch(/Line 5: email: must be an email address/);
    expect(res.body).toMatch(/Line 6: components: no component with id &#x27;no-such-component&#x27;/);
    const list = (await h.api('GET', '/api/v1/subscribers')).body as Array<{
      email?: string;
      confirmed: boolean;
      components: string[];
    }>;
    expect(list.find((x) => x.email === 'new2@example.test')).toMatchObject({
      confirmed: true,
      components: [componentId],
    });

    const noHeader = await formPost(h, '/console/subscribers/import', s.cookie, {
      _csrf: s.csrf,
      csv: 'address\nx@example.test',
    });
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.body).toContain('the header needs an email, phone or webhook_url column');
    const headerOnly = await formPost(h, '/console/subscribers/import', s.cookie, { _csrf: s.csrf, csv: 'email\n' });
    expect(headerOnly.statusCode).toBe(400);
    expect(headerOnly.body).toContain('the CSV has a header but no rows');
    const asViewer = await formPost(h, '/console/subscribers/import', viewer.cookie, {
      _csrf: viewer.csrf,
      csv: 'email\nviewer@example.test',
    });
    expect(asViewer.statusCode).toBe(403);
    const noCsrf = await formPost(h, '/console/subscribers/import', s.cookie, { csv: 'email\nforged@example.test' });
    expect(noCsrf.statusCode).toBe(403);
    const after = (await h.api('GET', '/api/v1/subscribers')).body as Array<{ email?: string }>;
    expect(after.some((x) => x.email === 'viewer@example.test' || x.email === 'forged@example.test')).toBe(false);
  });
});

// history.rss and history.atom over hostile titles and messages: every build is well-formed XML 1.0 (read by saxes,
// a strict parser that rejects what XML forbids), no user text becomes an element, and titles read back as the text
// the commander typed, less the characters XML cannot carry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Parser from 'rss-parser';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import type { IncidentWithUpdates } from '../../src/domain/types.js';
import { historyFeeds } from '../../src/statuspage/feeds.js';
import { openStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { acmeSite, seedIncident, seedUpdate } from './statuspage-seed.js';

const HOSTILE = [
  'Checkout ]]> down ]]> twice',
  '<![CDATA[ opened ]]> and <![CDATA[ never closed',
  '<script>alert(1)</script> in the title',
  '<script xmlns="http://www.w3.org/1999/xhtml">alert(document.domain)</script>',
  ']]><script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script><![CDATA[',
  'Entities &amp; &lt;b&gt; &#0; &#x1; &nbsp; &undefined; & alone',
  `Controls ${String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i))} end`,
  'Not characters \uFFFE \uFFFF end',
  'Lone surrogates \uD800 high \uDC00 low \uDBFF\uDBFF end',
  'RTL \u202Eoverride gnirts and \u202Dforce LTR',
  'Quotes " \' and <tag attr="x">',
];

const ALLOWED_ELEMENTS = new Set([
  // RSS 2.0
  'rss',
  'channel',
  'title',
  'link',
  'description',
  'language',
  'lastBuildDate',
  'generator',
  'atom:link',
  'item',
  'guid',
  'pubDate',
  // Atom
  'feed',
  'id',
  'subtitle',
  'updated',
  'entry',
  'published',
  'content',
]);

interface Leaf {
  /** Element names from the root, joined by '/'. */
  path: string;
  attributes: Record<string, string>;
  text: string;
}

/**
 * Parses strictly (XML 1.0 and namespaces) and throws on the first well-formedness error. Returns every element's
 * name, and the elements with text, as a conformant parser decodes them (character references included).
 */
function strictRead(xml: string): { names: string[]; leaves: Leaf[] } {
  const parser = new SaxesParser({ xmlns: true });
  const names: string[] = [];
  const leaves: Leaf[] = [];
  const stack: Array<{ name: string; attributes: Record<string, string>; text: string }> = [];
  let error: Error | undefined;
  parser.on('error', (e) => {
    error ??= e;
  });
  parser.on('opentag', (tag) => {
    names.push(tag.name);
    const attributes = Object.fromEntries(Object.values(tag.attributes).map((a) => [a.name, a.value]));
    stack.push({ name: tag.name, attributes, text: '' });
  });
  parser.on('text', (text) => {
    const top = stack.at(-1);
    if (top) top.text += text;
  });
  parser.on('closetag', () => {
    const path = stack.map((e) => e.name).join('/');
    const top = stack.pop()!;
    if (top.text.trim()) leaves.push({ path, attributes: top.attributes, text: top.text });
  });
  parser.write(xml).close();
  if (error) throw error;
  return { names, leaves };
}

const leavesAt = (xml: string, path: string) => strictRead(xml).leaves.filter((l) => l.path === path);

/** What a title must read back as: the characters XML 1.0 cannot carry dropped (controls) or replaced (U+FFFD). */
function expectedText(title: string): string {
  const clean = title
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g, '\ufffd');
  return /[\u202a-\u202e]/.test(clean) ? `\u2068${clean}\u2069` : clean;
}

function incidentWith(title: string, i: number): IncidentWithUpdates {
  const at = new Date(Date.UTC(2026, 4, 20, 10, i)).toISOString();
  return {
    id: `inc${i}`,
    title,
    updates: [{ id: `upd${i}`, status: 'investigating', createdAt: at, message: `${title}\n\n**Body** ${title}` }],
  } as unknown as IncidentWithUpdates;
}

describe('history feeds over hostile text', () => {
  const feeds = historyFeeds({
    siteName: 'Acme ]]> <b>&amp;\u0001\uD800',
    publicUrl: 'https://status.acme.test',
    incidents: HOSTILE.map(incidentWith),
    incidentUrl: (id) => `https://status.acme.test/incidents/${id}.html`,
    updatedAt: new Date('2026-05-20T12:00:00Z'),
  });

  it.each(['rss', 'atom'] as const)('%s is well-formed XML 1.0 with no element from user text', (kind) => {
    const { names } = strictRead(feeds[kind]);
    expect(names.filter((n) => !ALLOWED_ELEMENTS.has(n))).toEqual([]);
    expect(names.filter((n) => n === 'item' || n === 'entry')).toHaveLength(HOSTILE.length);
  });

  it('titles read back as the typed text (less what XML forbids), with the status after it', () => {
    const expected = [...HOSTILE].reverse().map((t) => `${expectedText(t)} - Investigating`);
    expect(leavesAt(feeds.rss, 'rss/channel/item/title').map((l) => l.text)).toEqual(expected);
    const atomTitles = leavesAt(feeds.atom, 'feed/entry/title');
    expect(atomTitles.map((l) => l.text)).toEqual(expected);
    expect(atomTitles.map((l) => l.attributes.type)).toEqual(expected.map(() => 'text'));
    expect(leavesAt(feeds.rss, 'rss/channel/title')[0]!.text).toBe(
      `${expectedText('Acme ]]> <b>&amp;\u0001\uD800')} status - incident history`,
    );
  });

  it('the body is sanitised HTML carried as escaped text: no script element in it', () => {
    const bodies = [
      ...leavesAt(feeds.rss, 'rss/channel/item/description'),
      ...leavesAt(feeds.atom, 'feed/entry/content'),
    ];
    expect(bodies).toHaveLength(HOSTILE.length * 2);
    for (const body of bodies) {
      expect(body.text).toContain('<strong>Body</strong>');
      expect(body.text).not.toMatch(/<script/i);
    }
    expect(leavesAt(feeds.atom, 'feed/entry/content').every((l) => l.attributes.type === 'html')).toBe(true);
  });

  it('no character XML 1.0 forbids is emitted, raw or as a character reference', () => {
    const forbidden =
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    for (const text of [feeds.rss, feeds.atom]) {
      expect(text).not.toMatch(forbidden);
      const references = [...text.matchAll(/&#(x[0-9a-f]+|\d+);/gi)].map(([, n]) =>
        String.fromCodePoint(n!.startsWith('x') ? Number.parseInt(n!.slice(1), 16) : Number(n)),
      );
      expect(references.filter((c) => forbidden.test(c))).toEqual([]);
    }
  });

  it('a feed reader (rss-parser) reads every item with its title', async () => {
    const reader = new Parser();
    for (const kind of ['rss', 'atom'] as const) {
      const feed = await reader.parseString(feeds[kind]);
      expect(feed.items, kind).toHaveLength(HOSTILE.length);
      expect(feed.items[0]!.title, kind).toBe(`${expectedText(HOSTILE.at(-1)!)} - Investigating`);
    }
  });
});

describe('the built site keeps well-formed feeds', () => {
  it('a hostile incident, then later updates and incidents: every build of both feeds parses', async () => {
    const root = tempDir('herald-sp-feeds-');
    const store = await openStore(join(root, 'herald.db'));
    const dir = join(root, 'site');
    try {
      const site = acmeSite(store, dir, { now: () => new Date('2026-05-20T12:00:00Z') });
      const hostile = await seedIncident(store, {
        title: HOSTILE[0]!,
        startedAt: '2026-05-20T09:00:00.000Z',
        messages: HOSTILE.slice(1, 6),
      });
      await site.rebuild({ full: true });
      const check = () => {
        for (const file of ['history.rss', 'history.atom']) {
          const { names } = strictRead(readFileSync(join(dir, file), 'utf8'));
          expect(
            names.filter((n) => !ALLOWED_ELEMENTS.has(n)),
            file,
          ).toEqual([]);
        }
      };
      check();
      await seedUpdate(store, hostile, HOSTILE.slice(6).join('\n\n'), '2026-05-20T10:00:00.000Z');
      const later = await seedIncident(store, { title: HOSTILE[4]!, startedAt: '2026-05-20T11:00:00.000Z' });
      await site.rebuild({ incidentIds: [hostile, later] });
      check();
      const titles = leavesAt(readFileSync(join(dir, 'history.atom'), 'utf8'), 'feed/entry/title').map((l) => l.text);
      expect(titles).toContain(`${HOSTILE[0]} - Identified`);
      expect(titles).toContain(`${HOSTILE[4]} - Investigating`);
    } finally {
      await store.close();
    }
  });
});

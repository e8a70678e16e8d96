// maintenances.ics read back by a real iCalendar parser (Mozilla's ical.js), with Herald's API making the changes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { afterEach, describe, expect, it } from 'vitest';
import { rebuildStatusSite, statuspage } from '../../src/channels/statuspage/index.js';
import { markdownToText } from '../../src/render/markdown.js';
import { fold, text } from '../../src/statuspage/ical.js';
import { openStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { acmeSite, seedComponents, seedMaintenance } from '../unit/statuspage-seed.js';

/** Whole seconds: iCalendar DATE-TIMEs have no fraction. */
const inHours = (h: number) => `${new Date(Date.now() + h * 3_600_000).toISOString().slice(0, 19)}.000Z`;
const toSecond = (iso: string) => `${iso.slice(0, 19)}.000Z`;

interface ParsedEvent {
  uid: string;
  summary: string;
  description: string;
  url: string;
  status: string;
  sequence: number;
  dtstamp: string;
  start: string;
  end: string;
}

/** The wire rules ical.js forgives: CRLF only, ≤ 75 octets a line, no character split across lines. */
function checkWire(body: string) {
  expect(body.endsWith('\r\n')).toBe(true);
  const lines = body.slice(0, -2).split('\r\n');
  for (const line of lines) {
    expect(line).not.toMatch(/[\r\n]/);
    const bytes = Buffer.from(line);
    expect(bytes.length).toBeLessThanOrEqual(75);
    // Decoded alone, each physical line is whole UTF-8: a split character would decode as U+FFFD.
    expect(bytes.toString('utf8')).toBe(line);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBe(line);
  }
  return lines;
}

function parse(body: string) {
  const lines = checkWire(body);
  const calendar = new ICAL.Component(ICAL.parse(body));
  const events: ParsedEvent[] = calendar.getAllSubcomponents('vevent').map((v) => {
    const e = new ICAL.Event(v);
    const time = (name: string) => (v.getFirstPropertyValue(name) as ICAL.Time).toJSDate().toISOString();
    return {
      uid: e.uid,
      summary: e.summary,
      description: e.description,
      url: String(v.getFirstPropertyValue('url')),
      status: String(v.getFirstPropertyValue('status')),
      sequence: e.sequence,
      dtstamp: time('dtstamp'),
      start: e.startDate.toJSDate().toISOString(),
      end: e.endDate.toJSDate().toISOString(),
    };
  });
  return { calendar, events, lines };
}

describe.each(['sqlite', 'postgres'] as const)('maintenances.ics (%s)', (database) => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function calendar() {
    await rebuildStatusSite(h!.herald, { full: true });
    const res = await h!.app.inject({ url: '/maintenances.ics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8');
    return { ...parse(res.body), body: res.body, headers: res.headers };
  }

  it('one event per maintenance, fields round-trip, UID stable, SEQUENCE up with each edit and update', async () => {
    h = await startTestHerald({ database, workers: false, channels: [statuspage()] });
    const api = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const db = (await h.api('POST', '/api/v1/components', { name: 'Database' })).body;
    const start = inHours(48);
    const end = inHours(50);
    const created = await h.api('POST', '/api/v1/maintenances', {
      title: 'Database upgrade',
      message: 'The dashboard is **read-only** during the upgrade.',
      scheduledFor: start,
      scheduledUntil: end,
      components: [api.id, db.id],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const first = await calendar();
    expect(first.calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(first.calendar.getFirstPropertyValue('method')).toBe('PUBLISH');
    expect(first.calendar.getFirstPropertyValue('prodid')).toBe('-//Herald//Status page maintenances//EN');
    expect(first.calendar.getFirstPropertyValue('x-wr-calname')).toBe('Status - maintenance');
    expect(first.headers['access-control-allow-origin']).toBe('*');
    expect(first.events).toEqual([
      {
        uid: `maintenance-${id}@status.example.test`,
        summary: 'Database upgrade',
        description: 'The dashboard is read-only during the upgrade.\n\nAffected: API, Database',
        url: `https://status.example.test/#maintenance-${id}`,
        status: 'CONFIRMED',
        sequence: 0,
        dtstamp: toSecond(created.body.updatedAt),
        start,
        end,
      },
    ]);
    // UTC date-times on the wire, with the Z.
    expect(first.lines).toContain(`DTSTART:${start.slice(0, 19).replace(/[-:]/g, '')}Z`);

    // The index links the calendar, for people and for software.
    const index = (await h.app.inject({ url: '/' })).body;
    expect(index).toContain('<link rel="alternate" type="text/calendar"');
    expect(index).toMatch(/<a [^>]*href="maintenances\.ics"[^>]*>Add to calendar<\/a>/);

    // Rebuilt with nothing changed: the same bytes (no upload, no churn for calendars).
    expect((await calendar()).body).toBe(first.body);

    const later = inHours(72);
    expect(
      (
        await h.api('PATCH', `/api/v1/maintenances/${id}`, {
          title: 'Database upgrade (moved)',
          scheduledFor: later,
          scheduledUntil: inHours(74),
        })
      ).status,
    ).toBe(200);
    const edited = (await calendar()).events[0]!;
    expect(edited.uid).toBe(first.events[0]!.uid);
    expect(edited.summary).toBe('Database upgrade (moved)');
    expect(edited.start).toBe(later);
    expect(edited.sequence).toBe(1);
    expect(edited.dtstamp >= first.events[0]!.dtstamp).toBe(true);

    // A commander's update (ending it) is another revision; a completed maintenance stays, still confirmed.
    const update = await h.api('POST', `/api/v1/maintenances/${id}/updates`, {
      message: 'Done early.',
      status: 'completed',
    });
    expect(update.status).toBe(201);
    const completed = (await calendar()).events[0]!;
    expect(completed).toMatchObject({ uid: edited.uid, sequence: 2, status: 'CONFIRMED' });
    // The update shows in the event: what made its SEQUENCE go up.
    expect(completed.description).toMatch(
      /^The dashboard is read-only during the upgrade\.\n\nLatest update, \w{3} \d{2} \w{3} \d{4} \d{2}:\d{2} UTC: Done early\.\n\nAffected: API, Database$/,
    );

    // A second maintenance, cancelled: its event stays, CANCELLED, with a higher SEQUENCE.
    const other = (
      await h.api('POST', '/api/v1/maintenances', {
        title: 'Network work',
        message: 'Short blips.',
        scheduledFor: inHours(24),
        scheduledUntil: inHours(25),
        components: [api.id],
      })
    ).body;
    expect((await h.api('DELETE', `/api/v1/maintenances/${other.id}`)).status).toBeLessThan(300);
    const after = await calendar();
    expect(after.events.map((e) => [e.summary, e.status, e.sequence])).toEqual([
      ['Network work', 'CANCELLED', 1],
      ['Database upgrade (moved)', 'CONFIRMED', 2],
    ]);
  });

  it('hostile titles and messages: exactly one event each, with the exact text', async () => {
    h = await startTestHerald({ database, workers: false, channels: [statuspage()] });
    const api = (await h.api('POST', '/api/v1/components', { name: 'API, EU; "main"' })).body;
    const cjk = '数据库维护・データベース移行・데이터베이스 ';
    const hostile = [
      { title: 'Pay, bill; and \\ back\\slash', message: 'Commas, semicolons; and a \\ backslash' },
      {
        title: 'Evil\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@x\r\nSUMMARY:injected',
        message: 'First line\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@x\nSUMMARY:injected\rDTSTART:20200101T000000Z',
      },
      { title: `🚀 Rollout 👩‍💻 ${cjk}`, message: `${'🚀👩‍👩‍👧‍👦é'.repeat(40)} ${cjk.repeat(30)}` },
      { title: `${'é'.repeat(100)}${'界'.repeat(100)}`, message: 'x'.repeat(5000) },
    ];
    const ids: string[] = [];
    for (const [i, m] of hostile.entries()) {
      const res = await h.api('POST', '/api/v1/maintenances', {
        ...m,
        scheduledFor: inHours(10 + i),
        scheduledUntil: inHours(11 + i),
        components: [api.id],
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const { events, body } = await calendar();
    expect(events).toHaveLength(hostile.length);
    expect(body.match(/^BEGIN:VEVENT$/gm)).toHaveLength(hostile.length);
    expect(body).not.toMatch(/^(UID:evil|SUMMARY:injected|DTSTART:2020)/m);
    for (const [i, m] of hostile.entries()) {
      const event = events[i]!;
      expect(event.uid).toBe(`maintenance-${ids[i]}@status.example.test`);
      // What the API stored (trimmed), newlines as typed in the title (CRLF and CR read as LF).
      expect(event.summary).toBe(m.title.trim().replace(/\r\n?/g, '\n'));
      expect(event.description).toBe(`${markdownToText(m.message).trim()}\n\nAffected: API, EU; "main"`);
    }
    // The messages without Markdown come back as typed.
    expect(events[0]!.description.startsWith('Commas, semicolons; and a \\ backslash\n')).toBe(true);
    expect(events[3]!.description.startsWith('x'.repeat(5000))).toBe(true);
  });
});

describe('which maintenances the calendar holds', () => {
  it('upcoming and in progress; ended or cancelled ones for 7 days after their last change, then not', async () => {
    const root = tempDir('herald-calendar-');
    const store = await openStore(join(root, 'herald.db'));
    try {
      const now = new Date('2026-05-20T12:00:00.000Z');
      const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
      const [api] = await seedComponents(store, 1, { names: () => 'API' });
      const seed = async (title: string, status: 'scheduled' | 'in_progress' | 'completed', changed: number) =>
        seedMaintenance(store, {
          title,
          message: 'm',
          status,
          scheduledFor: daysAgo(changed + 1),
          scheduledUntil: daysAgo(changed),
          components: [api!.id],
          at: daysAgo(changed),
        });
      await seed('upcoming', 'scheduled', -2);
      await seed('running', 'in_progress', 0);
      await seed('ended 6 days ago', 'completed', 6);
      await seed('ended 8 days ago', 'completed', 8);
      const cancelled = await seed('cancelled 2 days ago', 'completed', 2);
      const old = await seed('cancelled 9 days ago', 'completed', 9);
      for (const [id, d] of [
        [cancelled, 2],
        [old, 9],
      ] as const)
        await store.db
          .updateTable('maintenances')
          .set({ cancelled_at: daysAgo(d) })
          .where('id', '=', id)
          .execute();
      const site = acmeSite(store, join(root, 'site'), { now: () => now });
      await site.rebuild({ full: true });
      const { events } = parse(readFileSync(join(site.currentBuild()!.dir, 'maintenances.ics'), 'utf8'));
      expect(events.map((e) => [e.summary, e.status]).sort()).toEqual([
        ['cancelled 2 days ago', 'CANCELLED'],
        ['ended 6 days ago', 'CONFIRMED'],
        ['running', 'CONFIRMED'],
        ['upcoming', 'CONFIRMED'],
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('iCalendar text and folding', () => {
  it('escapes TEXT and drops what TEXT may not hold', () => {
    expect(text('a\\b;c,d\r\ne\rf\ng')).toBe('a\\\\b\\;c\\,d\\ne\\nf\\ng');
    expect(text('bell\u0007 tab\t del\u007f')).toBe('bell tab\t del');
    expect(text('lone \ud800 surrogate')).toBe('lone \ufffd surrogate');
  });

  it('folds at 75 octets between characters, never inside one', () => {
    for (const char of ['a', 'é', '界', '🚀']) {
      const line = `SUMMARY:${char.repeat(200)}`;
      const folded = fold(line);
      const physical = folded.split('\r\n');
      expect(physical.length).toBeGreaterThan(1);
      for (const [i, p] of physical.entries()) {
        expect(Buffer.byteLength(p)).toBeLessThanOrEqual(75);
        if (i > 0) expect(p.startsWith(' ')).toBe(true);
        expect(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(p))).toBe(p);
      }
      // Unfolding (RFC 5545 3.1: remove CRLF and the one space after it) gives the line back.
      expect(folded.replace(/\r\n /g, '')).toBe(line);
    }
    expect(fold('x'.repeat(75))).toBe('x'.repeat(75));
  });
});

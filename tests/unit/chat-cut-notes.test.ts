import { describe, expect, it } from 'vitest';
import type { MessageView, UpdateContext } from '../../src/channels/channel.js';
import {
  DISCOURSE_POST_MAX,
  DISCOURSE_TITLE_MAX,
  type DiscourseMessage,
  discourseView,
  renderDiscourse,
} from '../../src/channels/discourse/render.js';
import {
  MATTERMOST_TEXT_MAX,
  type MattermostMessage,
  mattermostPayload,
  mattermostView,
  renderMattermost,
} from '../../src/channels/mattermost/render.js';
import {
  TEAMS_PAYLOAD_MAX,
  type TeamsMessage,
  renderTeams,
  teamsPayload,
  teamsView,
} from '../../src/channels/teams/render.js';
import { sampleContext } from '../contract/channel-contract.js';

// Mattermost, Discourse and Teams cut a text too long for them at a boundary, as the other channels do, and say so
// in the console's preview: where the cut fell and what was left out. The incident's link always survives.

const LINK = 'https://docs.example.test/runbooks/payments/checkout-errors?region=eu-west-1&ref=incident#mitigation';

/** Long, hostile texts: nested lists, long links, CJK, emoji with modifiers, each many times past every limit. */
const HOSTILE: Record<string, string> = {
  'nested lists': Array.from(
    { length: 2000 },
    (_, i) => `- Step ${i}: check the workers\n  - sub-step ${i}.a with **bold** text\n    1. item ${i}`,
  ).join('\n'),
  'long links': Array.from(
    { length: 600 },
    (_, i) => `See [the runbook part ${i}](${LINK}&part=${i}) and ${LINK}&bare=${i} for the steps`,
  ).join(' '),
  CJK: '決済サービスで障害が発生しています。現在、原因を調査中です。確定済みの注文には影響はありません。'.repeat(1500),
  emoji: '👨‍👩‍👧‍👦 Payments failing 🔥🇯🇵 we rolled back 🚀 '.repeat(2500),
  'one long token': 'x'.repeat(120_000),
};

interface Case<M> {
  name: string;
  render(ctx: UpdateContext): M;
  view: MessageView<M>;
  /** Every text of the message as sent. */
  wire(m: M): string;
  /** Where the incident's link sits, whole. */
  link(m: M, url: string): boolean;
}

const cases: Case<any>[] = [
  {
    name: 'Mattermost',
    render: renderMattermost,
    view: mattermostView,
    wire: (m: MattermostMessage) => JSON.stringify(mattermostPayload(m)),
    link: (m: MattermostMessage, url) => m.text.endsWith(`[View incident](${url})`),
  } satisfies Case<MattermostMessage>,
  {
    name: 'Discourse',
    render: renderDiscourse,
    view: discourseView,
    wire: (m: DiscourseMessage) => [m.title, m.summaryRaw, m.replyRaw].join('\n'),
    link: (m: DiscourseMessage, url) =>
      [m.summaryRaw, m.replyRaw].every((raw) => raw.endsWith(`[View the incident on Example Status](${url})`)),
  } satisfies Case<DiscourseMessage>,
  {
    name: 'Teams',
    render: renderTeams,
    view: teamsView,
    wire: (m: TeamsMessage) => JSON.stringify(teamsPayload(m)),
    link: (m: TeamsMessage, url) => m.attachments[0]!.content.actions[0]!.url === url,
  } satisfies Case<TeamsMessage>,
];

const notes = <M>(c: Case<M>, m: M) =>
  c.view.preview(m).flatMap((p) => ('cut' in p && p.cut !== undefined ? [p.cut] : []));

/** The body text as posted, for checking where it ends. */
function cutBody(c: Case<any>, m: any): string {
  if (c.name === 'Mattermost') return (m as MattermostMessage).cut!.kept;
  if (c.name === 'Discourse') return (m as DiscourseMessage).cut!.kept;
  return (m as TeamsMessage).cut!.kept;
}

describe.each(cases)('$name cuts a long text at a boundary and says so', (c) => {
  it('a text that fits is not cut and has no note', () => {
    const ctx = sampleContext({ message: `All good: see [the runbook](${LINK}).` });
    const m = c.render(ctx);
    expect(notes(c, m)).toEqual([]);
    expect(c.wire(m)).toContain(LINK);
    expect(c.link(m, ctx.incident.url)).toBe(true);
  });

  it.each(Object.keys(HOSTILE))('%s: within every limit, the link whole, no dangling marker or half link', (kind) => {
    const ctx = sampleContext({ message: HOSTILE[kind]! });
    const m = c.render(ctx);
    for (const measure of c.view.measure(m))
      if (measure.limit !== undefined) expect(measure.value, measure.label).toBeLessThanOrEqual(measure.limit);
    expect(c.link(m, ctx.incident.url)).toBe(true);

    const [note, ...more] = notes(c, m);
    expect(note).toMatch(/^Cut (at the end of a sentence|at the end of a clause|between words|between characters)/);
    expect(note).toMatch(/left out \(\d+ characters\): “/);
    // Every part that shows the text carries the same note.
    for (const other of more) expect(other).toBe(note);

    const kept = cutBody(c, m);
    expect(kept.endsWith('…')).toBe(true);
    const before = kept.slice(0, -1).trimEnd();
    expect(before, 'a list marker left dangling').not.toMatch(/(?:^|\n)\s*(?:[-*+•]|\d+[.)])$/);
    expect(before, 'an opener left dangling').not.toMatch(/[([{*_~`]$/);
    // No half link: each link in the text is one of the source's, whole.
    const sent = c.wire(m);
    const sources = new Set([...HOSTILE[kind]!.matchAll(/https?:\/\/[^\s)\]<>"\\]+/g)].map((x) => x[0]));
    sources.add(ctx.incident.url);
    sources.add('http://adaptivecards.io/schemas/adaptive-card.json'); // the card's own schema
    for (const [url] of sent.matchAll(/https?:\/\/[^\s)\]<>"\\|]+/g))
      expect(sources.has(url) || url.startsWith('https://status.example.test'), url).toBe(true);
    expect(before).not.toMatch(/\[[^\]]*$|\]\([^)]*$/);
  });
});

describe('the limits each platform sets', () => {
  it('Mattermost: the post stays under 16383 runes, the note on the post', () => {
    const m = renderMattermost(sampleContext({ message: HOSTILE.emoji! }));
    expect([...m.text].length).toBeLessThanOrEqual(MATTERMOST_TEXT_MAX);
    expect(MATTERMOST_TEXT_MAX).toBeLessThan(16_383);
    expect(mattermostView.preview(m)[0]).toMatchObject({ label: 'Post', cut: expect.stringMatching(/^Cut /) });
    // What Herald keeps beside the message is not posted.
    expect(mattermostPayload(m)).not.toHaveProperty('cut');
  });

  it('Discourse: posts under max_post_length (32000); a long title cut under 255 with its date kept, and noted', () => {
    const ctx = sampleContext({ title: `${'🇯🇵 決済 '.repeat(200)}end`, message: HOSTILE.CJK! });
    const m = renderDiscourse(ctx);
    expect(Math.max(m.summaryRaw.length, m.replyRaw.length)).toBeLessThanOrEqual(DISCOURSE_POST_MAX);
    expect(m.title.length).toBeLessThanOrEqual(DISCOURSE_TITLE_MAX);
    expect(m.title).toMatch(/… – 29 Nov 2026$/);
    const title = discourseView.preview(m).find((p) => p.label === 'Topic title')!;
    expect(title).toMatchObject({
      cut: expect.stringMatching(/^The title was shortened to fit Discourse's topic title \(cut/),
    });
    // A title that fits has no note.
    const short = renderDiscourse(sampleContext({ message: HOSTILE.CJK! }));
    expect(discourseView.preview(short).find((p) => p.label === 'Topic title')).not.toHaveProperty('cut');
  });

  it('Teams: the whole JSON sent stays under 28 KB even in CJK (3 bytes a character), the note on the card', () => {
    const ctx = sampleContext({ title: '決済サービスの障害'.repeat(200), message: HOSTILE.CJK! });
    ctx.incident.components = Array.from({ length: 30 }, (_, i) => ({
      id: `c${i}`,
      name: `決済コンポーネント${i}`.repeat(30),
      status: 'major_outage' as const,
    }));
    const m = renderTeams(ctx);
    const bytes = Buffer.byteLength(JSON.stringify(teamsPayload(m)));
    expect(bytes).toBeLessThanOrEqual(TEAMS_PAYLOAD_MAX);
    // Enough of the text is kept: the cut is set by the bytes, not far below them.
    expect(Buffer.byteLength(m.cut!.kept)).toBeGreaterThan(10_000);
    expect(teamsView.measure(m)).toEqual([
      { label: 'Message size', value: bytes, limit: TEAMS_PAYLOAD_MAX, unit: 'bytes' },
    ]);
    expect(teamsView.preview(m)[0]).toMatchObject({ label: 'Card', cut: expect.stringMatching(/^Cut /) });
    expect(teamsPayload(m)).not.toHaveProperty('cut');
  });
});

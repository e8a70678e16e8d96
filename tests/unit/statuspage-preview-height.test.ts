import { describe, expect, it } from 'vitest';
import { cardHeight, incidentPageHeight } from '../../src/channels/statuspage/preview.js';
import { FRAME_WIDTHS, frameHeights } from '../../src/console/channel-view.js';
import type { IncidentWithUpdates } from '../../src/domain/types.js';

// The status page card's frame in the console cannot size itself (sandboxed, no script): the channel estimates its
// height per frame width, the console samples that estimate at the widths it may show the frame at.
const incident = (message: string, title = 'Card payments failing'): IncidentWithUpdates => ({
  id: '01hzzzzzzzzzzzzzzzzzzzzzzz',
  title,
  status: 'investigating',
  impact: 'major',
  startedAt: '2026-12-07T15:16:00.000Z',
  resolvedAt: null,
  postmortem: null,
  postmortemPublishedAt: null,
  createdAt: '2026-12-07T15:16:00.000Z',
  updatedAt: '2026-12-07T15:16:00.000Z',
  components: [],
  updates: [
    {
      id: '01hyyyyyyyyyyyyyyyyyyyyyyy',
      incidentId: '01hzzzzzzzzzzzzzzzzzzzzzzz',
      status: 'investigating',
      message,
      components: [],
      channels: [],
      createdAt: '2026-12-07T15:16:00.000Z',
    },
  ],
});

describe('the status page card height estimate', () => {
  const short = incident('We are looking into it.');
  const long = incident(`${'Some card payments fail at checkout with **error 502**. '.repeat(6)}`);

  it('is taller in a narrower frame and for a longer text, and never shorter than the card chrome', () => {
    for (const width of [320, 560, 900]) {
      expect(cardHeight(long, width)).toBeGreaterThan(cardHeight(short, width));
      expect(cardHeight(short, width)).toBeGreaterThanOrEqual(74 + 24 + 21 + 24 + 21);
    }
    expect(cardHeight(long, 320)).toBeGreaterThan(cardHeight(long, 560));
    expect(cardHeight(long, 560)).toBeGreaterThan(cardHeight(long, 900));
    // Past the page's widest column (56rem) the card no longer widens, nor shrinks.
    expect(cardHeight(long, 2000)).toBe(cardHeight(long, 896));
  });

  it("counts list items, headings and code lines; a link's address takes no room", () => {
    const paragraph = cardHeight(incident('First point. Second point.'), 560);
    expect(cardHeight(incident('- First point.\n- Second point.'), 560)).toBeGreaterThan(paragraph);
    expect(cardHeight(incident('## Cause\n\nFirst point. Second point.'), 560)).toBeGreaterThan(paragraph);
    expect(cardHeight(incident('```\nline 1\nline 2\nline 3\n```'), 560)).toBeGreaterThan(
      cardHeight(incident('line 1'), 560) + 2 * 24,
    );
    expect(cardHeight(incident(`See [the runbook](https://example.test/${'x'.repeat(300)}).`), 320)).toBe(
      cardHeight(incident('See the runbook.'), 320),
    );
  });
});

describe("the console's frame heights", () => {
  it('keeps a fixed height (plus the frame border) or samples a per-width one, the narrowest as the default', () => {
    expect(frameHeights(500)).toEqual({ height: 502 });
    expect(frameHeights(undefined)).toEqual({ height: 322 });
    const sampled = frameHeights((width) => 100_000 / width);
    const pairs = sampled.heights!.split(' ').map((p) => p.split(':').map(Number));
    expect(pairs.map(([w]) => w)).toEqual(FRAME_WIDTHS);
    for (const [w, h] of pairs) expect(h).toBe(Math.ceil(100_000 / w!) + 2);
    expect(sampled.height).toBe(pairs[0]![1]);
  });
});

describe('the incident page height estimate', () => {
  const site = { siteName: 'Acme' };
  const short = incident('We are looking into it.');
  const long = incident(`${'Some card payments fail at checkout with **error 502**. '.repeat(6)}\n\n- one\n- two`);

  it('is taller in a narrower frame and for a longer text, and makes room for a logo and components', () => {
    for (const width of [320, 560, 900]) {
      expect(incidentPageHeight(long, width, site)).toBeGreaterThan(incidentPageHeight(short, width, site));
      expect(incidentPageHeight(short, width, { ...site, logo: true })).toBeGreaterThanOrEqual(
        incidentPageHeight(short, width, site),
      );
      const withComponents = {
        ...short,
        components: [{ id: 'c1', name: 'Checkout API', group: null, status: 'major_outage' as const }],
      } as unknown as IncidentWithUpdates;
      expect(incidentPageHeight(withComponents, width, site)).toBeGreaterThan(incidentPageHeight(short, width, site));
    }
    expect(incidentPageHeight(long, 320, site)).toBeGreaterThan(incidentPageHeight(long, 560, site));
    expect(incidentPageHeight(long, 2000, site)).toBe(incidentPageHeight(long, 896, site));
  });

  it('counts a title in capitals wider than one in small letters', () => {
    expect(incidentPageHeight(incident('x', 'W'.repeat(40)), 390, site)).toBeGreaterThan(
      incidentPageHeight(incident('x', 'w'.repeat(40)), 390, site),
    );
  });
});

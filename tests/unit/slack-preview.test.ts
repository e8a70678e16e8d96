import { describe, expect, it } from 'vitest';
import { mrkdwnAsMarkdown, toSlackMrkdwn } from '../../src/render/dialects/slack-mrkdwn.js';
import { markdownToSafeHtml } from '../../src/render/markdown.js';

// The console shows a Slack message as Slack draws its mrkdwn: through Markdown, then the console's safe HTML.
const drawn = (mrkdwn: string) => markdownToSafeHtml(mrkdwnAsMarkdown(mrkdwn)).trim();

describe("Slack mrkdwn as the console's preview draws it", () => {
  it('draws bold, italic, strike, code and links, keeping each line break', () => {
    expect(drawn('*Database down*\n*Investigating* · Impact: Major')).toBe(
      '<p><strong>Database down</strong><br /><strong>Investigating</strong> · Impact: Major</p>',
    );
    expect(drawn('_slow_ and ~gone~ in `db-1`')).toBe('<p><em>slow</em> and <del>gone</del> in <code>db-1</code></p>');
    expect(drawn('<https://status.example.test/i/1?a=1&amp;b=2|View incident on Acme>')).toBe(
      '<p><a href="https://status.example.test/i/1?a=1&amp;b=2" rel="nofollow noopener" target="_blank">View incident on Acme</a></p>',
    );
  });

  it("shows as text what is text in Slack: Markdown's markers, HTML, list and heading starts", () => {
    const html = drawn(toSlackMrkdwn('Use `a*b` or a_b_c; 5 * 3 = 15.'));
    expect(html).toContain('a*b');
    expect(html).toContain('a_b_c');
    expect(html).toContain('5 * 3 = 15.');
    expect(drawn('# not a heading\n- not a list\n1. not a list either\n[not](a link) **not bold**')).toBe(
      '<p># not a heading<br />- not a list<br />1. not a list either<br />[not](a link) **not bold**</p>',
    );
    expect(drawn('&lt;script&gt;alert(1)&lt;/script&gt; &amp;')).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp;</p>',
    );
  });

  it("keeps the commander's Markdown as Slack shows it, end to end", () => {
    const mrkdwn = toSlackMrkdwn(
      'We see **5xx errors** on the _API_. [Details](https://example.test/x)\n\n- one\n- two',
    );
    const html = drawn(mrkdwn);
    expect(html).toContain('<strong>5xx errors</strong>');
    expect(html).toContain('<em>API</em>');
    expect(html).toContain('<a href="https://example.test/x"');
    expect(html).toContain('• one');
    expect(html).not.toMatch(/\*\*|\\/);
  });
});

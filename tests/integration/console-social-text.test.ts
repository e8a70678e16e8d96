import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHerald } from '../helpers/herald.js';
import { type SocialSetup, socialSetup } from '../helpers/social-channels.js';
import { addUser, formPost, signIn, startHeraldWithTemplates } from './console-helpers.js';

// The compose form carries the optional social text: the preview says when it does not fit a selected channel,
// publishing refuses it with the field named and stores nothing, and a text that fits is stored with the update.
describe('console: the social text of an update', () => {
  let h: TestHerald;
  let x: SocialSetup;
  let session: { cookie: string; csrf: string };

  beforeAll(async () => {
    x = await socialSetup('twitter');
    h = await startHeraldWithTemplates({ channels: [x.definition] });
    await addUser(h, 'alice', 'commander');
    session = await signIn(h, 'alice');
  });
  afterAll(async () => {
    await h?.close();
    await x?.fake.close();
  });

  const form = (
    socialText: string,
    action: 'preview' | 'publish',
    submission = `sub-${Math.random().toString(16).slice(2)}0123456789`,
  ) => ({
    _csrf: session.csrf,
    title: 'Checkout errors',
    message: 'We are investigating.',
    status: 'investigating',
    impact: 'major',
    channels: ['twitter'],
    socialText,
    submission,
    action,
  });
  const updates = async () => h.herald.store.db.selectFrom('incident_updates').select(['social_text']).execute();

  it('is a field of the form', async () => {
    const page = await h.app.inject({
      method: 'GET',
      url: '/console/incidents/new',
      headers: { cookie: session.cookie },
    });
    expect(page.body).toMatch(/<textarea id="socialText" name="socialText" rows="3" maxlength="1000">/);
  });

  it('a text too long for X: the preview warns, publishing refuses it and stores nothing', async () => {
    const tooLong = 'Card payments are failing. '.repeat(12);
    const preview = await formPost(h, '/console/incidents', session.cookie, form(tooLong, 'preview'));
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toMatch(
      /twitter: the social text does not fit \(\d+ weighted characters with the incident link; X takes at most 280/,
    );
    const refused = await formPost(h, '/console/incidents', session.cookie, form(tooLong, 'publish'));
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(
      /Social text: twitter: \d+ weighted characters with the incident link; X takes at most 280/,
    );
    expect(refused.body).toContain('Card payments are failing. Card payments'); // the form keeps what was typed
    expect(await updates()).toEqual([]);
  });

  it('a text that fits is published with the update', async () => {
    const published = await formPost(
      h,
      '/console/incidents',
      session.cookie,
      form('Card payments are failing; we are on it.', 'publish'),
    );
    expect(published.statusCode).toBe(303);
    expect(await updates()).toEqual([{ social_text: 'Card payments are failing; we are on it.' }]);
    // The incident's timeline shows what went to the social accounts, escaped like all commander text.
    const [incident] = await h.herald.store.db.selectFrom('incidents').select('id').execute();
    await formPost(h, `/console/incidents/${incident!.id}/updates`, session.cookie, {
      ...form('<b>Fixed</b> & verified.', 'publish'),
      message: 'Resolved.',
      status: 'resolved',
    });
    const page = await h.app.inject({
      method: 'GET',
      url: `/console/incidents/${incident!.id}`,
      headers: { cookie: session.cookie },
    });
    expect(page.body).toContain('On X, Mastodon and Bluesky:</span> &lt;b&gt;Fixed&lt;/b&gt; &amp; verified.');
    expect(page.body).toContain('On X, Mastodon and Bluesky:</span> Card payments are failing; we are on it.');
  });
});

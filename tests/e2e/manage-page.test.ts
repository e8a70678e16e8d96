import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manageUrl } from '../../src/domain/link-tokens.js';
import { email } from '../../src/channels/email/index.js';
import { sms } from '../../src/channels/sms/index.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { randomSecret } from '../helpers/subscribers.js';
import { type SmtpSink, startSmtpSink } from '../fakes/smtp-sink.js';
import { type TwilioFake, startTwilioFake } from '../fakes/twilio-fake.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/manage-page');
const AXE = resolve('node_modules/axe-core/axe.min.js');

// The preference page as a subscriber opens it from an email, in Chromium on a desktop and a phone.
describe('the preference page in Chromium', () => {
  let h: TestHerald;
  let sink: SmtpSink;
  let twilio: TwilioFake;
  let browser: Browser;
  let base = '';
  let path = '';

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sink = await startSmtpSink();
    twilio = await startTwilioFake();
    const secret = randomSecret();
    h = await startTestHerald({
      channels: [
        email({ smtpUrl: sink.url, from: 'Example Status <status@example.test>' }),
        sms({ apiUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15005550006' }),
      ],
      env: { HERALD_SECRET: secret },
    });
    const api = (await h.api('POST', '/api/v1/components', { name: 'Checkout API', group: 'Payments' })).body.id;
    await h.api('POST', '/api/v1/components', { name: 'Card payments in the EU and UK regions', group: 'Payments' });
    await h.api('POST', '/api/v1/components', { name: 'Dashboard', group: 'Web' });
    const reader = (
      await h.api('POST', '/api/v1/subscribers', {
        email: 'a.very.long.address.for.a.reader@subsidiary.example.test',
        components: [api],
        confirmed: true,
      })
    ).body;
    path = new URL(manageUrl('https://status.example.test', secret, reader.id)).pathname;
    path += new URL(manageUrl('https://status.example.test', secret, reader.id)).search;
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await sink?.close();
    await twilio?.close();
  });

  it('shows the choices, saves them, and fits a phone screen', async () => {
    for (const width of [1280, 390]) {
      // axe's script is injected inline: the CSP is bypassed for it (the page's own CSP is tested in integration).
      const page = await (await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true })).newPage();
      await page.goto(`${base}${path}`);
      expect(await page.getByRole('heading', { name: 'Manage subscription' }).isVisible()).toBe(true);
      expect(await page.getByLabel('Checkout API').isChecked()).toBe(true);
      expect(await page.getByLabel('Dashboard').isChecked()).toBe(false);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        const g = globalThis as any;
        const result = await g.axe.run(g.document, { resultTypes: ['violations'] });
        return result.violations.map((v: any) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n: any) => n.target) }));
      });
      expect(violations, `manage page ${width}`).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}/manage-${width}.png`, fullPage: true });
      if (width === 390) {
        await page.getByLabel('Dashboard').check();
        await page.getByRole('button', { name: 'Save preferences' }).click();
        await page.getByText('Saved.').waitFor();
        expect(await page.getByLabel('Dashboard').isChecked()).toBe(true);
        await page.screenshot({ path: `${ARTIFACTS}/manage-saved-${width}.png`, fullPage: true });
      }
      await page.context().close();
    }
  }, 60_000);
});

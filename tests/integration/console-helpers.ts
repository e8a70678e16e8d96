import type { Channel, UpdateContext } from '../../src/channels/channel.js';
import { smsMeasure } from '../../src/channels/sms/segments.js';
import { tweetMeasure } from '../../src/channels/twitter/render.js';
import type { ChannelDefinition } from '../../src/config/define.js';
import { createUser, type ConsoleRole } from '../../src/console/users.js';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import { type DatabaseKind, tempDir } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';

export const PASSWORD = 'correct horse battery staple';

/**
 * Stand-ins for the twitter, SMS and email channels that do not fit their text (so previews can show a post over
 * its limit) and describe themselves with the real channels' counters.
 */
export function lookalikeChannels(): ChannelDefinition[] {
  const twitter: ChannelDefinition<Channel<{ text: string }>> = {
    name: 'twitter',
    kind: 'twitter',
    create: () => ({
      name: 'twitter',
      kind: 'twitter',
      capabilities: { threads: true, audience: false, maxLength: 280, concurrency: 2 },
      render: (ctx: UpdateContext) => ({
        text: `[${ctx.update.status}] ${ctx.incident.title}\n\n${ctx.update.message}\n\n${ctx.incident.url}`,
      }),
      preview: (message) => [{ label: 'Post', text: message.text }],
      measure: (message) => [tweetMeasure(message.text)],
      templates: { folder: 'twitter', measureText: (text) => [tweetMeasure(text)] },
      send: async (_m, target) => ({
        externalId: `tw-${target.idempotencyKey}`,
        externalUrl: `https://x.example.test/status/${target.attempt}`,
      }),
    }),
  };
  const sms: ChannelDefinition<Channel<{ body: string }>> = {
    name: 'sms',
    kind: 'sms',
    create: () => ({
      name: 'sms',
      kind: 'sms',
      capabilities: { threads: false, audience: true, concurrency: 2 },
      render: (ctx: UpdateContext) => ({ body: `${ctx.incident.title}: ${ctx.update.message} ${ctx.incident.url}` }),
      preview: (message) => [{ label: 'SMS', text: message.body }],
      measure: (message) => [smsMeasure(message.body, 3)],
      templates: { folder: 'sms', measureText: (text) => [smsMeasure(text, 3)] },
      send: async () => ({ externalId: 'sms-batch' }),
    }),
  };
  const email: ChannelDefinition<Channel<{ subject: string; html: string; text: string }>> = {
    name: 'email',
    kind: 'email',
    create: () => ({
      name: 'email',
      kind: 'email',
      capabilities: { threads: true, audience: true, concurrency: 2 },
      render: (ctx: UpdateContext) => ({
        subject: `[${ctx.update.status}] ${ctx.incident.title}`,
        html: `<div style="font-family:sans-serif"><h1>${ctx.incident.title}</h1><p>${ctx.update.message}</p><script>parent.hacked=1</script></div>`,
        text: `${ctx.update.message}\n${ctx.incident.url}`,
      }),
      preview: (message) => [
        { label: 'Subject', text: message.subject },
        { label: 'HTML', html: message.html },
        { label: 'Plain text', text: message.text },
      ],
      measure: () => [],
      templates: { folder: 'email' },
      send: async () => ({ externalId: 'mail-batch' }),
    }),
  };
  return [twitter, sms, email];
}

export async function addUser(h: TestHerald, username: string, role: ConsoleRole) {
  return createUser(h.herald.store.db, { username, password: PASSWORD, role }, new Date().toISOString());
}

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

export function cookieValue(setCookie: unknown, name: string): string | undefined {
  const list = Array.isArray(setCookie) ? setCookie : typeof setCookie === 'string' ? [setCookie] : [];
  for (const line of list as string[]) {
    const match = new RegExp(`^${name}=([^;]*)`).exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** Signs in through the form; returns the session cookie header and the session's CSRF token. */
export async function signIn(h: TestHerald, username: string, password = PASSWORD) {
  const attempt = await loginAttempt(h, username, password);
  if (attempt.statusCode !== 303) throw new Error(`sign-in failed: ${attempt.statusCode}`);
  const cookie = `herald_console=${cookieValue(attempt.headers['set-cookie'], 'herald_console')}`;
  const page = await h.app.inject({ method: 'GET', url: '/console/', headers: { cookie } });
  return { cookie, csrf: csrfIn(page.body)!, setCookie: attempt.headers['set-cookie'] };
}

export async function loginAttempt(h: TestHerald, username: string, password: string) {
  const form = await h.app.inject({ method: 'GET', url: '/console/login' });
  const loginCookie = cookieValue(form.headers['set-cookie'], 'herald_console_login')!;
  return h.app.inject({
    method: 'POST',
    url: '/console/login',
    headers: { cookie: `herald_console_login=${loginCookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfIn(form.body)!, username, password, next: '/console/' }).toString(),
  });
}

export function formPost(
  h: TestHerald,
  url: string,
  cookie: string | undefined,
  fields: Record<string, string | string[]>,
) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const item of [v].flat()) body.append(k, item);
  return h.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: body.toString(),
  });
}

/**
 * A test Herald whose templates are a private copy of templates/ (the console saves into it). Workers and
 * the sweeper are off; tests that call reminder checks themselves keep the console's ticker quiet through env.
 */
export async function startHeraldWithTemplates(options: {
  channels: ChannelDefinition[];
  database?: DatabaseKind;
  env?: Record<string, string>;
}): Promise<TestHerald & { templatesDir: string }> {
  const dataDir = tempDir();
  const templatesDir = join(dataDir, 'templates');
  cpSync(TEMPLATES_DIR, templatesDir, { recursive: true });
  const h = await startTestHerald({ ...options, dataDir, templatesDir, workers: false, sweeper: false });
  return Object.assign(h, { templatesDir });
}

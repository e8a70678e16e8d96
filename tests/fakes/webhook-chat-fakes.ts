import { randomBytes } from 'node:crypto';
import {
  type FailureKind,
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  retryAfterSeconds,
  startFakeServer,
  takeFailure,
} from './webhook-chat-fake-server.js';
import { preciseNow } from './clock.js';

// Fakes for the webhook chat platforms, after their public docs:
// - Microsoft Teams Workflows / incoming webhook: POST JSON {type:"message", attachments:[{contentType:
//   "application/vnd.microsoft.card.adaptive", content:{AdaptiveCard}}]} → 202 (Workflows) with no body.
// - Discord: POST /api/webhooks/{id}/{token}?wait=true → the message object; PATCH …/messages/{id} edits;
//   thread_name (forum) / ?thread_id=; 429 {message, retry_after, global} + Retry-After, X-RateLimit-Reset-After.
// - Mattermost incoming webhook: POST /hooks/{key} {text, username, attachments} → 200 "ok".

interface Failable {
  failures: Array<{ kind: FailureKind; resetAtMs?: number; method?: string }>;
}
/** `method`: fail only the next request with that HTTP method (Discord's PATCH of an edit, say). */
type FailOptions = { resetAtMs?: number; method?: string };
const failNext =
  (f: Failable) =>
  (kind: FailureKind, options: FailOptions = {}) => {
    f.failures.push({ kind, ...options });
  };
const json = (req: FakeRequest) => (req.rawBody ? (JSON.parse(req.rawBody) as Record<string, unknown>) : {});

// ---------------------------------------------------------------- Teams
export interface TeamsFake {
  webhookUrl: string;
  server: FakeServer;
  cards: Array<{ card: Record<string, unknown>; text: string; at: number }>;
  failNext(kind: FailureKind, options?: FailOptions): void;
  close(): Promise<void>;
}

export async function startTeamsFake(): Promise<TeamsFake> {
  const sig = randomBytes(8).toString('hex');
  const state: Failable = { failures: [] };
  const cards: TeamsFake['cards'] = [];
  const server = await startFakeServer((req): FakeResponse => {
    const f = takeFailure(state.failures, req.method);
    if (f?.kind === '429')
      return {
        status: 429,
        headers: { 'retry-after': String(retryAfterSeconds(f.resetAtMs)) },
        body: { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded.' } },
      };
    if (f?.kind === '5xx')
      return {
        status: 502,
        body: { error: { code: 'BadGateway', message: 'The service is temporarily unavailable.' } },
      };
    if (f?.kind === 'auth' || req.query.get('sig') !== sig)
      return {
        status: 401,
        body: {
          error: {
            code: 'DirectApiAuthorizationRequired',
            message: 'The request must be authenticated only by Shared Access scheme.',
          },
        },
      };
    if (req.method !== 'POST' || req.path !== '/workflows/herald/triggers/manual/paths/invoke')
      return {
        status: 404,
        body: { error: { code: 'WorkflowNotFound', message: 'The workflow could not be found.' } },
      };
    const body = json(req);
    const attachment = (
      body.attachments as Array<{ contentType?: string; content?: Record<string, unknown> }> | undefined
    )?.[0];
    if (
      body.type !== 'message' ||
      attachment?.contentType !== 'application/vnd.microsoft.card.adaptive' ||
      attachment.content?.type !== 'AdaptiveCard'
    ) {
      return {
        status: 400,
        body: {
          error: { code: 'InvalidRequestContent', message: 'The request content is not an Adaptive Card message.' },
        },
      };
    }
    const card = attachment.content;
    const texts = [
      ...((card.body as Array<{ text?: string }>) ?? []).flatMap((b) => (b.text ? [b.text] : [])),
      ...((card.actions as Array<{ url?: string }>) ?? []).flatMap((a) => (a.url ? [a.url] : [])),
    ];
    cards.push({ card, text: texts.join('\n'), at: preciseNow() });
    return { status: 202 };
  });
  return {
    webhookUrl: `${server.url}/workflows/herald/triggers/manual/paths/invoke?api-version=2016-06-01&sig=${sig}`,
    server,
    cards,
    failNext: failNext(state),
    close: () => server.close(),
  };
}

// ---------------------------------------------------------------- Discord
export interface DiscordFakeMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: Array<Record<string, unknown>>;
  allowed_mentions?: unknown;
  thread_id?: string;
  edits: Array<{ embeds: Array<Record<string, unknown>>; at: number }>;
  at: number;
}

export interface DiscordFake {
  webhookUrl: string;
  server: FakeServer;
  messages: DiscordFakeMessage[];
  /** Text as Discord shows it: content, then each embed's title and description (the latest edit). */
  textOf(message: DiscordFakeMessage): string;
  failNext(kind: FailureKind, options?: FailOptions): void;
  close(): Promise<void>;
}

export async function startDiscordFake(): Promise<DiscordFake> {
  const webhookId = '112233445566778899';
  const token = randomBytes(16).toString('base64url');
  const channelId = '998877665544332211';
  const state: Failable = { failures: [] };
  const messages: DiscordFakeMessage[] = [];
  const threads = new Set<string>();
  let seq = 0n;
  const snowflake = () => String((BigInt(Date.now() - 1420070400000) << 22n) + ++seq);
  const view = (m: DiscordFakeMessage) => ({
    id: m.id,
    type: 0,
    content: m.content,
    channel_id: m.channel_id,
    author: { bot: true, id: webhookId, username: 'Herald', avatar: null, discriminator: '0000' },
    attachments: [],
    embeds: m.edits.at(-1)?.embeds ?? m.embeds,
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
    timestamp: new Date(m.at).toISOString(),
    edited_timestamp: m.edits.length ? new Date(m.edits.at(-1)!.at).toISOString() : null,
    flags: 0,
    components: [],
    webhook_id: webhookId,
  });
  const error = (status: number, message: string, code: number): FakeResponse => ({ status, body: { message, code } });

  const server = await startFakeServer((req): FakeResponse => {
    const f = takeFailure(state.failures, req.method);
    if (f?.kind === '429') {
      const seconds = f.resetAtMs === undefined ? 1.5 : Math.max(0, (f.resetAtMs - Date.now()) / 1000);
      return {
        status: 429,
        headers: {
          'retry-after': String(Math.ceil(seconds)),
          'x-ratelimit-reset-after': seconds.toFixed(3),
          'x-ratelimit-scope': 'user',
        },
        body: { message: 'You are being rate limited.', retry_after: seconds, global: false },
      };
    }
    if (f?.kind === '5xx') return { status: 502, body: '<html>502 Bad Gateway</html>' };
    const m = req.path.match(/^\/api\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(\d+))?$/);
    if (!m || m[1] !== webhookId) return error(404, 'Unknown Webhook', 10015);
    if (f?.kind === 'auth' || m[2] !== token) return error(401, 'Invalid Webhook Token', 50027);
    const threadId = req.query.get('thread_id') ?? undefined;
    if (threadId && !threads.has(threadId)) return error(400, 'Unknown Channel', 10003);
    const body = json(req);
    if (req.method === 'POST' && !m[3]) {
      const embeds = (body.embeds as DiscordFakeMessage['embeds']) ?? [];
      if (!body.content && embeds.length === 0) return error(400, 'Cannot send an empty message', 50006);
      for (const e of embeds)
        if (String(e.description ?? '').length > 4096) return error(400, 'Invalid Form Body', 50035);
      const id = snowflake();
      let channel = threadId ?? channelId;
      if (typeof body.thread_name === 'string') {
        // A forum post: a new thread whose id is the starter message's.
        channel = id;
        threads.add(id);
      }
      const message: DiscordFakeMessage = {
        id,
        channel_id: channel,
        content: String(body.content ?? ''),
        embeds,
        allowed_mentions: body.allowed_mentions,
        thread_id: threadId,
        edits: [],
        at: preciseNow(),
      };
      messages.push(message);
      return req.query.get('wait') === 'true' ? { status: 200, body: view(message) } : { status: 204 };
    }
    if (req.method === 'PATCH' && m[3]) {
      const message = messages.find(
        (x) => x.id === m[3] && (threadId ? x.channel_id === threadId : x.channel_id === channelId),
      );
      if (!message) return error(404, 'Unknown Message', 10008);
      message.edits.push({ embeds: (body.embeds as DiscordFakeMessage['embeds']) ?? message.embeds, at: preciseNow() });
      return { status: 200, body: view(message) };
    }
    return error(405, '405: Method Not Allowed', 0);
  });
  return {
    webhookUrl: `${server.url}/api/webhooks/${webhookId}/${token}`,
    server,
    messages,
    textOf: (message) => {
      const embeds = message.edits.at(-1)?.embeds ?? message.embeds;
      // The embed's url is where its title links: on the wire, as a reader follows it.
      return [
        message.content,
        ...embeds.flatMap((e) => [String(e.title ?? ''), String(e.url ?? ''), String(e.description ?? '')]),
      ]
        .filter(Boolean)
        .join('\n');
    },
    failNext: failNext(state),
    close: () => server.close(),
  };
}

// ---------------------------------------------------------------- Mattermost
export interface MattermostFake {
  webhookUrl: string;
  server: FakeServer;
  posts: Array<{ text: string; username?: string; attachments: Array<Record<string, unknown>>; at: number }>;
  failNext(kind: FailureKind, options?: FailOptions): void;
  close(): Promise<void>;
}

export async function startMattermostFake(): Promise<MattermostFake> {
  const key = randomBytes(13).toString('hex');
  const state: Failable = { failures: [] };
  const posts: MattermostFake['posts'] = [];
  const appError = (status: number, id: string, message: string): FakeResponse => ({
    status,
    body: { id, message, detailed_error: '', request_id: randomBytes(13).toString('hex'), status_code: status },
  });
  const server = await startFakeServer((req): FakeResponse => {
    const f = takeFailure(state.failures, req.method);
    if (f?.kind === '429') {
      const seconds = retryAfterSeconds(f.resetAtMs);
      return {
        status: 429,
        headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(seconds) },
        body: 'limit exceeded',
      };
    }
    if (f?.kind === '5xx')
      return appError(500, 'web.incoming_webhook.request.app_error', 'Unable to process the request.');
    if (f?.kind === 'auth' || req.path !== `/hooks/${key}`)
      return appError(400, 'web.incoming_webhook.invalid.app_error', 'Invalid webhook');
    const body = json(req);
    const text = String(body.text ?? '');
    const attachments = (body.attachments as Array<Record<string, unknown>>) ?? [];
    if (!text && attachments.length === 0)
      return appError(400, 'web.incoming_webhook.text.app_error', 'No text specified');
    if ([...text].length > 16383) return appError(400, 'web.incoming_webhook.text.length.app_error', 'Text too long');
    posts.push({ text, username: body.username as string | undefined, attachments, at: preciseNow() });
    return { status: 200, body: 'ok' };
  });
  return {
    webhookUrl: `${server.url}/hooks/${key}`,
    server,
    posts,
    failNext: failNext(state),
    close: () => server.close(),
  };
}

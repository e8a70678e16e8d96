import {
  type FailureKind,
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  gate,
  retryAfterSeconds,
  startFakeServer,
  takeFailure,
} from './webhook-chat-fake-server.js';
import { preciseNow } from './clock.js';

// A Slack Web API fake, from https://api.slack.com/web: every method is POST /api/<method> with a form or
// JSON body and a Bearer token; answers are HTTP 200 {ok:true,…} or {ok:false,error}, except 429 + Retry-After.
// Complex arguments (blocks, metadata, attachments) arrive JSON-encoded inside form fields, as @slack/web-api sends them.

export interface SlackFakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  thread_ts?: string;
  reply_broadcast: boolean;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Every chat.update applied, oldest first. */
  edits: Array<{ text: string; blocks: unknown[]; at: number }>;
  postedAt: number;
}

export interface SlackFake {
  url: string;
  /** Base URL to give @slack/web-api / SLACK_API_URL. */
  apiUrl: string;
  token: string;
  server: FakeServer;
  messages: SlackFakeMessage[];
  calls: Array<{ method: string; at: number }>;
  /** The next call (of `method`, or any) fails like Slack does. `error` is a Slack error code answered with HTTP 200. */
  failNext(kind: FailureKind | { error: string }, options?: { resetAtMs?: number; method?: string }): void;
  /** The next chat.postMessage is stored, then its answer is held until `release()` (or the client vanishes). */
  holdNextPost(): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

export const SLACK_FAKE_CHANNEL = { id: 'C0STATUS1', name: 'status' };

export async function startSlackFake(options: { token?: string; botInChannel?: boolean } = {}): Promise<SlackFake> {
  const token = options.token ?? 'xoxb-fake-0000-secret';
  const messages: SlackFakeMessage[] = [];
  const calls: SlackFake['calls'] = [];
  const failures: Array<{ kind: FailureKind | { error: string }; resetAtMs?: number; method?: string }> = [];
  let hold: ReturnType<typeof gate> | undefined;
  let clock = 0;
  const nextTs = () => {
    clock++;
    return `${Math.floor(Date.now() / 1000)}.${String(clock).padStart(6, '0')}`;
  };

  const ok = (body: Record<string, unknown>): FakeResponse => ({ status: 200, body: { ok: true, ...body } });
  const fail = (error: string, extra: Record<string, unknown> = {}): FakeResponse => ({
    status: 200,
    body: { ok: false, error, ...extra },
  });
  const resolveChannel = (value: unknown, idOnly = false) => {
    const v = String(value ?? '');
    if (v === SLACK_FAKE_CHANNEL.id) return SLACK_FAKE_CHANNEL.id;
    if (!idOnly && (v === SLACK_FAKE_CHANNEL.name || v === `#${SLACK_FAKE_CHANNEL.name}`)) return SLACK_FAKE_CHANNEL.id;
    return undefined;
  };
  const view = (m: SlackFakeMessage, withMetadata: boolean) => ({
    type: 'message',
    subtype: 'bot_message',
    bot_id: 'B0HERALD',
    text: m.edits.at(-1)?.text ?? m.text,
    blocks: m.edits.at(-1)?.blocks ?? m.blocks,
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.edits.length ? { edited: { user: 'B0HERALD', ts: m.ts } } : {}),
    ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
  });

  const server = await startFakeServer(async (req: FakeRequest) => {
    const method = req.path.replace(/^\/api\//, '');
    calls.push({ method, at: preciseNow() });
    if (req.method !== 'POST') return { status: 405, body: 'method not allowed' };
    const f = takeFailure(failures, method);
    if (f) {
      if (f.kind === '429')
        return {
          status: 429,
          headers: { 'retry-after': String(retryAfterSeconds(f.resetAtMs)) },
          body: { ok: false, error: 'ratelimited' },
        };
      if (f.kind === '5xx') return { status: 503, body: 'upstream connect error' };
      if (f.kind === 'auth') return fail('invalid_auth');
      return fail(f.kind.error);
    }
    const args = parseArgs(req);
    const auth = req.headers.authorization ?? (args.token ? `Bearer ${String(args.token)}` : undefined);
    if (!auth) return fail('not_authed');
    if (auth !== `Bearer ${token}`) return fail('invalid_auth');

    switch (method) {
      case 'chat.postMessage': {
        const channel = resolveChannel(args.channel);
        if (!channel) return fail('channel_not_found');
        if (options.botInChannel === false) return fail('not_in_channel');
        if (!args.text && !args.blocks) return fail('no_text');
        const threadTs = args.thread_ts ? String(args.thread_ts) : undefined;
        if (threadTs && !messages.some((m) => m.ts === threadTs && !m.thread_ts)) return fail('thread_not_found');
        const message: SlackFakeMessage = {
          channel,
          ts: nextTs(),
          text: String(args.text ?? ''),
          blocks: (args.blocks as unknown[]) ?? [],
          thread_ts: threadTs,
          reply_broadcast: args.reply_broadcast === true || args.reply_broadcast === 'true',
          metadata: args.metadata as SlackFakeMessage['metadata'],
          edits: [],
          postedAt: preciseNow(),
        };
        messages.push(message);
        if (hold) {
          const h = hold;
          hold = undefined;
          h.reached();
          await Promise.race([h.released, req.gone]);
        }
        return ok({ channel, ts: message.ts, message: view(message, false) });
      }
      case 'chat.update': {
        const channel = resolveChannel(args.channel);
        if (!channel) return fail('channel_not_found');
        const message = messages.find((m) => m.ts === String(args.ts) && m.channel === channel);
        if (!message) return fail('message_not_found');
        message.edits.push({
          text: String(args.text ?? ''),
          blocks: (args.blocks as unknown[]) ?? message.blocks,
          at: preciseNow(),
        });
        return ok({ channel, ts: message.ts, text: message.edits.at(-1)!.text, message: view(message, false) });
      }
      case 'conversations.history': {
        const channel = resolveChannel(args.channel, true);
        if (!channel) return fail('channel_not_found');
        const oldest = Number(args.oldest ?? 0);
        const limit = Number(args.limit ?? 100);
        const top = messages
          .filter((m) => m.channel === channel && (!m.thread_ts || m.reply_broadcast) && Number(m.ts) > oldest)
          .reverse()
          .slice(0, limit);
        return ok({
          messages: top.map((m) => view(m, isTrue(args.include_all_metadata))),
          has_more: false,
          pin_count: 0,
          response_metadata: { next_cursor: '' },
        });
      }
      case 'conversations.replies': {
        const channel = resolveChannel(args.channel, true);
        if (!channel) return fail('channel_not_found');
        const parent = messages.find((m) => m.ts === String(args.ts) && m.channel === channel);
        if (!parent) return fail('thread_not_found');
        const thread = [parent, ...messages.filter((m) => m.thread_ts === parent.ts)];
        return ok({
          messages: thread.map((m) => view(m, isTrue(args.include_all_metadata))),
          has_more: false,
          response_metadata: { next_cursor: '' },
        });
      }
      case 'auth.test':
        return ok({
          url: 'https://fake.slack.test/',
          team: 'Fake',
          user: 'herald',
          team_id: 'T0FAKE',
          user_id: 'U0HERALD',
          bot_id: 'B0HERALD',
        });
      default:
        return fail('unknown_method');
    }
  });

  return {
    url: server.url,
    apiUrl: `${server.url}/api/`,
    token,
    server,
    messages,
    calls,
    failNext(kind, opts = {}) {
      failures.push({ kind, ...opts });
    },
    holdNextPost() {
      hold = gate();
      return { arrived: hold.arrived, release: hold.release };
    },
    close: () => server.close(),
  };
}

const isTrue = (v: unknown) => v === true || v === 'true' || v === '1' || v === 1;

/** Form fields (JSON-encoded values decoded where they are JSON) or a JSON body, as Slack accepts both. */
function parseArgs(req: FakeRequest): Record<string, unknown> {
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('application/json')) return req.rawBody ? (JSON.parse(req.rawBody) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(req.rawBody)) {
    out[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return out;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

import type { ServerResponse } from 'node:http';
import { tootLength } from '../../src/channels/mastodon/render.js';
import {
  type AcceptedPost,
  FakeControls,
  type FakeServer,
  hold,
  parseJson,
  sendJson,
  sleep,
  startFakeServer,
} from '../helpers/social-fake-server.js';
import { preciseNow } from './clock.js';

// A local Mastodon for the endpoints Herald uses, after docs.joinmastodon.org:
//   POST /api/v1/statuses  (JSON or form: status, in_reply_to_id, visibility; header Idempotency-Key) → 200 Status
//   GET  /api/v1/accounts/verify_credentials → Account
//   GET  /api/v1/accounts/:id/statuses?limit → [Status…] newest first
// Bearer token required (401 {"error": "The access token is invalid"}); 422 for validation ("Text character limit
// of 500 exceeded"); 429 with X-RateLimit-Limit/Remaining/Reset (ISO-8601). A repeated Idempotency-Key gets the
// status it made the first time. Status content is HTML, as Mastodon renders it.

interface StoredStatus extends AcceptedPost {
  visibility: string;
  createdAt: string;
  idempotencyKey?: string;
}

export class MastodonFake extends FakeControls {
  readonly token: string;
  readonly accountId = '109000000000000001';
  private server?: FakeServer;
  private nextId = 110_000_000_000_000_000n;
  private readonly statuses: StoredStatus[] = [];
  readonly idempotencyHits: string[] = [];

  constructor(options: { token?: string } = {}) {
    super();
    this.token = options.token ?? 'fake-mastodon-token';
  }

  get url(): string {
    return this.server!.url;
  }

  async start(): Promise<this> {
    this.server = await startFakeServer((req, res, body, url) => {
      if (req.headers.authorization !== `Bearer ${this.token}`)
        return sendJson(res, 401, { error: 'The access token is invalid' });
      if (req.method === 'POST' && url.pathname === '/api/v1/statuses') {
        const form = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(body))
          : parseJson(body);
        const key = req.headers['idempotency-key'];
        return this.createStatus(res, form ?? {}, typeof key === 'string' ? key : undefined);
      }
      if (req.method === 'GET' && url.pathname === '/api/v1/accounts/verify_credentials')
        return sendJson(res, 200, this.account(), limitHeaders());
      const listing = url.pathname.match(/^\/api\/v1\/accounts\/([^/]+)\/statuses$/);
      if (req.method === 'GET' && listing) {
        this.lookUps++;
        // A token without the read scope: Mastodon's answer to a call outside its scopes.
        if (this.lookUp === 'refused')
          return sendJson(res, 403, { error: 'This action is outside the authorized scopes' });
        if (listing[1] !== this.accountId) return sendJson(res, 404, { error: 'Record not found' });
        const limit = Math.min(40, Number(url.searchParams.get('limit') ?? 20) || 20);
        return sendJson(
          res,
          200,
          [...this.statuses]
            .reverse()
            .slice(0, limit)
            .map((s) => this.entity(s)),
          limitHeaders(),
        );
      }
      return sendJson(res, 404, { error: 'Record not found' });
    }, this);
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private async createStatus(res: ServerResponse, form: Record<string, unknown>, key: string | undefined) {
    const fault = this.takeFault();
    if (fault?.kind === '429' || fault?.kind === '429-24h') {
      return sendJson(
        res,
        429,
        { error: 'Too many requests' },
        limitHeaders(0, fault.resetAtMs ?? Date.now() + 5 * 60_000),
      );
    }
    if (fault?.kind === '5xx') return sendJson(res, 503, { error: 'Service Unavailable' });
    if (fault?.kind === 'auth') return sendJson(res, 401, { error: 'The access token is invalid' });
    if (key) {
      const earlier = this.statuses.find((s) => s.idempotencyKey === key);
      if (earlier) {
        this.idempotencyHits.push(key);
        return sendJson(res, 200, this.entity(earlier), limitHeaders());
      }
    }
    const text = typeof form.status === 'string' ? form.status : '';
    if (!text.trim()) return sendJson(res, 422, { error: "Validation failed: Text can't be blank" });
    if (tootLength(text) > 500)
      return sendJson(res, 422, { error: 'Validation failed: Text character limit of 500 exceeded' });
    const replyTo = typeof form.in_reply_to_id === 'string' && form.in_reply_to_id ? form.in_reply_to_id : null;
    if (replyTo && !this.statuses.some((s) => s.id === replyTo))
      return sendJson(res, 404, { error: 'Record not found' });
    const visibility = typeof form.visibility === 'string' ? form.visibility : 'public';
    if (!['public', 'unlisted', 'private', 'direct'].includes(visibility))
      return sendJson(res, 422, { error: 'Validation failed: Visibility is not included in the list' });
    const id = String(this.nextId++);
    const status: StoredStatus = {
      id,
      text,
      replyTo,
      at: preciseNow(),
      visibility,
      createdAt: new Date().toISOString(),
      idempotencyKey: key,
    };
    this.statuses.push(status);
    this.accept(status);
    if (this.holdAnswers) return hold(res);
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    sendJson(res, 200, this.entity(status), limitHeaders());
  }

  private account() {
    return {
      id: this.accountId,
      username: 'status',
      acct: 'status',
      display_name: 'Example Status',
      locked: false,
      bot: true,
      created_at: '2024-01-01T00:00:00.000Z',
      note: '',
      url: `${this.url}/@status`,
      avatar: `${this.url}/avatars/original/missing.png`,
      header: `${this.url}/headers/original/missing.png`,
      followers_count: 0,
      following_count: 0,
      statuses_count: this.statuses.length,
      emojis: [],
      fields: [],
    };
  }

  private entity(s: StoredStatus) {
    return {
      id: s.id,
      created_at: s.createdAt,
      in_reply_to_id: s.replyTo,
      in_reply_to_account_id: s.replyTo ? this.accountId : null,
      sensitive: false,
      spoiler_text: '',
      visibility: s.visibility,
      language: 'en',
      uri: `${this.url}/users/status/statuses/${s.id}`,
      url: `${this.url}/@status/${s.id}`,
      replies_count: this.statuses.filter((o) => o.replyTo === s.id).length,
      reblogs_count: 0,
      favourites_count: 0,
      content: toHtml(s.text),
      reblog: null,
      account: this.account(),
      media_attachments: [],
      mentions: [],
      tags: [],
      emojis: [],
      card: null,
      poll: null,
    };
  }
}

function limitHeaders(remaining = 299, resetAtMs = Date.now() + 5 * 60_000): Record<string, string> {
  return {
    'x-ratelimit-limit': '300',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': new Date(resetAtMs).toISOString(),
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Mastodon's plain-text → HTML: paragraphs, <br />, and links split into invisible/visible spans. */
function toHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((para) => {
      const html = escapeHtml(para).replace(/https?:\/\/[^\s<]+/g, (href) => {
        const [, scheme, rest] = href.match(/^(https?:\/\/)(.*)$/)!;
        return `<a href="${href}" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">${scheme}</span><span class="">${rest}</span></a>`;
      });
      return `<p>${html.replace(/\n/g, '<br />')}</p>`;
    })
    .join('');
}

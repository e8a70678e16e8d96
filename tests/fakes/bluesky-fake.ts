import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countGraphemes } from '../../src/render/fit.js';
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

// A local PDS for the XRPC methods Herald uses, after docs.bsky.app and the atproto lexicons:
//   POST /xrpc/com.atproto.server.createSession  {identifier, password} → {did, handle, accessJwt, refreshJwt, active}
//   POST /xrpc/com.atproto.server.refreshSession (Bearer refreshJwt) → new tokens
//   POST /xrpc/com.atproto.repo.createRecord     {repo, collection, record} → {uri, cid, validationStatus}
//   GET  /xrpc/com.atproto.repo.listRecords       ?repo&collection&limit → {records: [{uri, cid, value}], cursor?}
// Errors are {error, message}; 429 carries ratelimit-limit/remaining/reset (epoch seconds)/policy. A post record is
// checked like app.bsky.feed.post: text ≤ 300 graphemes and 3000 bytes, facets inside the text's UTF-8 bytes, reply
// refs naming existing records with their cid.

interface StoredRecord extends AcceptedPost {
  uri: string;
  cid: string;
  value: Record<string, unknown>;
}

const TID_CHARS = '234567abcdefghijklmnopqrstuvwxyz';

export class BlueskyFake extends FakeControls {
  readonly did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
  readonly handle = 'herald-status.bsky.social';
  readonly identifier: string;
  readonly password: string;
  private server?: FakeServer;
  private readonly records: StoredRecord[] = [];
  private readonly accessTokens = new Set<string>();
  private readonly refreshTokens = new Set<string>();
  /** Access tokens past their two hours: refused with 400 ExpiredToken, as a PDS does, until refreshed. */
  private readonly expiredTokens = new Set<string>();
  private failNextLogin = false;
  private clock = 0;
  sessionsCreated = 0;
  sessionsRefreshed = 0;

  /**
   * Acts as an entryway (like bsky.social) in front of the account's PDS: a session names the PDS in its DID
   * document (`http://localhost:PORT`, this same server under another name), and repository calls made to the
   * entryway's own name are refused.
   */
  private readonly entryway: boolean;

  constructor(options: { identifier?: string; password?: string; entryway?: boolean } = {}) {
    super();
    this.entryway = options.entryway ?? false;
    this.identifier = options.identifier ?? 'herald-status.bsky.social';
    this.password = options.password ?? 'abcd-efgh-ijkl-mnop';
  }

  get url(): string {
    return this.server!.url;
  }

  /** Every stored record, oldest first, as the client sent it. */
  get stored(): ReadonlyArray<StoredRecord> {
    return this.records;
  }

  async start(): Promise<this> {
    this.server = await startFakeServer((req, res, body, url) => {
      const method = url.pathname.replace(/^\/xrpc\//, '');
      if (req.method === 'POST' && method === 'com.atproto.server.createSession')
        return this.createSession(res, parseJson(body));
      if (req.method === 'POST' && method === 'com.atproto.server.refreshSession') return this.refreshSession(req, res);
      if (this.entryway && !req.headers.host?.startsWith('localhost:'))
        return xrpcError(
          res,
          400,
          'InvalidRequest',
          'this entryway does not serve repositories; use the PDS named in the DID document',
        );
      if (this.expiredTokens.has(bearer(req) ?? '')) return xrpcError(res, 400, 'ExpiredToken', 'Token has expired');
      if (!this.accessTokens.has(bearer(req) ?? ''))
        return xrpcError(res, 401, 'InvalidToken', 'Token could not be verified');
      if (req.method === 'POST' && method === 'com.atproto.repo.createRecord')
        return this.createRecord(res, parseJson(body) ?? {});
      if (req.method === 'GET' && method === 'com.atproto.repo.listRecords')
        return this.listRecords(res, url.searchParams);
      return xrpcError(res, 501, 'MethodNotImplemented', `Method Not Implemented: ${method}`);
    }, this);
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  override failNext(fault: Parameters<FakeControls['failNext']>[0]): void {
    if (fault.kind === 'auth') {
      // The app password was revoked: every session ends and the next sign-in is refused.
      this.accessTokens.clear();
      this.refreshTokens.clear();
      this.failNextLogin = true;
      return;
    }
    super.failNext(fault);
  }

  private didDocument() {
    return {
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: this.did,
      alsoKnownAs: [`at://${this.handle}`],
      service: [
        {
          id: '#atproto_pds',
          type: 'AtprotoPersonalDataServer',
          serviceEndpoint: this.url.replace('127.0.0.1', 'localhost'),
        },
      ],
    };
  }

  /** Every access token issued so far expires now; refresh tokens stay good. */
  expireAccessTokens(): void {
    for (const token of this.accessTokens) this.expiredTokens.add(token);
    this.accessTokens.clear();
  }

  /** Refresh tokens stop working (the session was ended elsewhere); the app password still signs in. */
  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
  }

  private issue(res: ServerResponse) {
    const accessJwt = `fake.${randomBytes(12).toString('base64url')}.access`;
    const refreshJwt = `fake.${randomBytes(12).toString('base64url')}.refresh`;
    this.accessTokens.add(accessJwt);
    this.refreshTokens.add(refreshJwt);
    const session: Record<string, unknown> = {
      did: this.did,
      handle: this.handle,
      accessJwt,
      refreshJwt,
      active: true,
    };
    if (this.entryway) session.didDoc = this.didDocument();
    sendJson(res, 200, session);
  }

  private createSession(res: ServerResponse, body: Record<string, unknown> | undefined) {
    if (this.failNextLogin) {
      this.failNextLogin = false;
      return xrpcError(res, 401, 'AuthenticationRequired', 'Invalid identifier or password');
    }
    if (body?.identifier !== this.identifier || body?.password !== this.password)
      return xrpcError(res, 401, 'AuthenticationRequired', 'Invalid identifier or password');
    this.sessionsCreated++;
    this.issue(res);
  }

  private refreshSession(req: IncomingMessage, res: ServerResponse) {
    const token = bearer(req);
    if (!token || !this.refreshTokens.delete(token))
      return xrpcError(res, 400, 'ExpiredToken', 'Token has been revoked');
    this.sessionsRefreshed++;
    this.issue(res);
  }

  private async createRecord(res: ServerResponse, body: Record<string, unknown>) {
    const fault = this.takeFault();
    if (fault?.kind === '429' || fault?.kind === '429-24h') {
      const reset = Math.floor((fault.resetAtMs ?? Date.now() + 3600_000) / 1000);
      return xrpcError(res, 429, 'RateLimitExceeded', 'Rate Limit Exceeded', {
        'ratelimit-limit': '5000',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(reset),
        'ratelimit-policy': '5000;w=3600',
      });
    }
    if (fault?.kind === '5xx') return xrpcError(res, 500, 'InternalServerError', 'Internal Server Error');
    if (body.repo !== this.did && body.repo !== this.handle)
      return xrpcError(res, 400, 'InvalidRequest', 'Could not find repo');
    if (body.collection !== 'app.bsky.feed.post')
      return xrpcError(res, 400, 'InvalidRequest', 'Unsupported collection');
    const record = (body.record ?? {}) as Record<string, unknown>;
    const problem = this.validatePost(record);
    if (problem) return xrpcError(res, 400, 'InvalidRequest', `Invalid app.bsky.feed.post record: ${problem}`);
    const rkey = this.tid();
    const uri = `at://${this.did}/app.bsky.feed.post/${rkey}`;
    const cid = cidFor(record);
    const reply = record.reply as { root: { uri: string }; parent: { uri: string } } | undefined;
    const stored: StoredRecord = {
      id: uri,
      uri,
      cid,
      value: record,
      text: record.text as string,
      replyTo: reply?.parent.uri ?? null,
      rootId: reply?.root.uri ?? null,
      at: preciseNow(),
    };
    this.records.push(stored);
    this.accept(stored);
    if (this.holdAnswers) return hold(res);
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    sendJson(res, 200, { uri, cid, validationStatus: 'valid' });
  }

  private validatePost(record: Record<string, unknown>): string | undefined {
    if (record.$type !== 'app.bsky.feed.post') return '$type must be app.bsky.feed.post';
    if (typeof record.text !== 'string') return 'text must be a string';
    if (typeof record.createdAt !== 'string' || Number.isNaN(Date.parse(record.createdAt)))
      return 'createdAt must be a datetime';
    const bytes = Buffer.byteLength(record.text);
    if (countGraphemes(record.text) > 300) return 'text must not be longer than 300 graphemes';
    if (bytes > 3000) return 'text must not be longer than 3000 characters';
    for (const facet of (record.facets as Array<{ index?: { byteStart?: number; byteEnd?: number } }> | undefined) ??
      []) {
      const { byteStart, byteEnd } = facet.index ?? {};
      if (
        !Number.isInteger(byteStart) ||
        !Number.isInteger(byteEnd) ||
        byteStart! < 0 ||
        byteEnd! > bytes ||
        byteStart! >= byteEnd!
      )
        return 'facet index outside the text';
    }
    const reply = record.reply as
      | { root?: { uri?: string; cid?: string }; parent?: { uri?: string; cid?: string } }
      | undefined;
    if (reply) {
      for (const ref of [reply.root, reply.parent]) {
        const target = this.records.find((r) => r.uri === ref?.uri);
        if (!target || target.cid !== ref?.cid)
          return `reply ref ${ref?.uri} does not name an existing record and its cid`;
      }
    }
    return undefined;
  }

  private listRecords(res: ServerResponse, query: URLSearchParams) {
    this.lookUps++;
    if (this.lookUp === 'refused') return xrpcError(res, 403, 'Forbidden', 'listRecords is not available here');
    if (query.get('repo') !== this.did && query.get('repo') !== this.handle)
      return xrpcError(res, 400, 'InvalidRequest', 'Could not find repo');
    const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50) || 50));
    const ordered = query.get('reverse') === 'true' ? [...this.records] : [...this.records].reverse();
    const records = ordered.filter((r) => r.uri.includes(`/${query.get('collection')}/`)).slice(0, limit);
    sendJson(res, 200, { records: records.map((r) => ({ uri: r.uri, cid: r.cid, value: r.value })) });
  }

  /** A record key in TID form: 13 sortable base32 characters from a microsecond clock. */
  private tid(): string {
    const micros = BigInt(Math.max(Date.now() * 1000, this.clock + 1));
    this.clock = Number(micros);
    let n = (micros << 10n) | 7n;
    let out = '';
    for (let i = 0; i < 13; i++) {
      out = TID_CHARS[Number(n & 31n)]! + out;
      n >>= 5n;
    }
    return out;
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

function xrpcError(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, { error, message }, headers);
}

/** A CIDv1 (dag-cbor, sha-256) in base32, the form atproto uses; hashed over JSON here, which is enough for a fake. */
function cidFor(value: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(value)).update(randomBytes(4)).digest();
  const bytes = Buffer.concat([Buffer.from([0x01, 0x71, 0x12, 0x20]), digest]);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let acc = 0;
  let out = 'b';
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return out;
}

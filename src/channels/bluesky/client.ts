import type { Agent } from '@atproto/api';
import { lazyRequire } from '../../lib/lazy-require.js';
import type { PostRef, SentRef } from '../channel.js';
import { lightFetch } from '../http.js';
import {
  type ChannelError,
  PermanentError,
  RateLimitedError,
  RetryableError,
  errorForHttpStatus,
  noAnswerError,
} from '../errors.js';
import type { BlueskyPost } from './render.js';

const POST = 'app.bsky.feed.post';

interface StrongRef {
  uri: string;
  cid: string;
}

export interface BlueskyCredentials {
  service: string;
  identifier: string;
  appPassword: string;
}

interface Session {
  did: string;
  accessJwt: string;
  refreshJwt: string;
  /** Names the account's own PDS, when the service signed in to is an entryway (bsky.social) in front of it. */
  didDoc?: unknown;
}

/**
 * Bluesky through @atproto/api: an app-password session, posts as app.bsky.feed.post records.
 * The session is kept here rather than by AtpAgent, which wraps every call in a WHATWG Request: that forced the
 * full fetch() (streams and all, about a millisecond of CPU a post against a local PDS) where the agent's plain
 * `(url, init)` calls go through the channels' undici pool (lightFetch).
 */
/** The AT Protocol SDK (about 40 MB of RSS and 10 MB of heap) loads when a Bluesky channel is set up. */
const atproto = lazyRequire<typeof import('@atproto/api')>('@atproto/api');
const atprotoCommon = lazyRequire<typeof import('@atproto/common-web')>('@atproto/common-web');

export class BlueskyClient {
  /** Calls made with the session's access token. */
  private readonly agent: Agent;
  /** Calls that carry their own credentials: createSession, refreshSession. */
  private readonly anonymous: Agent;
  private session?: Promise<Session>;
  private renewal?: { from: string; session: Promise<Session> };
  private accessJwt = '';
  /** Where the account's calls go: its PDS from the session's DID document, else the service signed in to. */
  private pdsUrl: string;

  constructor(
    private readonly credentials: BlueskyCredentials,
    timeoutMs: number,
  ) {
    this.pdsUrl = credentials.service;
    const fetchWithTimeout = (input: string | URL | Request, init: RequestInit = {}) => {
      const limit = AbortSignal.timeout(timeoutMs);
      return lightFetch(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, limit]) : limit });
    };
    const { Agent } = atproto();
    this.anonymous = new Agent({ service: credentials.service, fetch: fetchWithTimeout });
    this.agent = new Agent({
      did: undefined,
      fetchHandler: (url, init) => {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${this.accessJwt}`);
        return fetchWithTimeout(new URL(url, this.pdsUrl), { ...init, headers });
      },
    });
  }

  async post(
    message: BlueskyPost,
    thread: { first: PostRef; previous: PostRef } | undefined,
    signal?: AbortSignal,
  ): Promise<SentRef> {
    const record: Record<string, unknown> = { $type: POST, text: message.text, createdAt: new Date().toISOString() };
    if (message.facets.length > 0) record.facets = message.facets;
    if (thread) record.reply = { root: strongRef(thread.first), parent: strongRef(thread.previous) };
    const res = await this.call('post', (did) =>
      this.agent.com.atproto.repo.createRecord({ repo: did, collection: POST, record }, { signal }),
    );
    return toRef(res.data);
  }

  /** The account's latest posts, newest first, exactly as stored. */
  async recentPosts(
    limit = 25,
    signal?: AbortSignal,
  ): Promise<Array<{ uri: string; cid: string; value: Record<string, unknown> }>> {
    const res = await this.call('look up recent posts', (did) =>
      this.agent.com.atproto.repo.listRecords({ repo: did, collection: POST, limit }, { signal }),
    );
    return res.data.records as Array<{ uri: string; cid: string; value: Record<string, unknown> }>;
  }

  /**
   * Runs `fn` with a session. A session the server no longer accepts (401, or 400 ExpiredToken once the access
   * token's two hours are up) is renewed once, with the refresh token or else a fresh sign-in, and `fn` runs again.
   */
  private async call<T>(what: string, fn: (did: string) => Promise<T>): Promise<T> {
    let session = await this.signIn();
    try {
      return await fn(session.did);
    } catch (error) {
      if (!sessionRefused(error)) throw mapError(error, what);
    }
    session = await this.renew(session);
    try {
      return await fn(session.did);
    } catch (error) {
      throw mapError(error, what);
    }
  }

  private signIn(): Promise<Session> {
    this.session ??= this.started(this.createSession());
    return this.session;
  }

  private createSession(): Promise<Session> {
    return this.anonymous.com.atproto.server
      .createSession({ identifier: this.credentials.identifier, password: this.credentials.appPassword })
      .then((res) => res.data);
  }

  /** A new session after `refused`: refreshed when its refresh token is still good, otherwise signed in afresh. */
  private renew(refused: Session): Promise<Session> {
    // Calls refused with the same token share one renewal (a refresh token is good for one refresh).
    if (this.renewal?.from !== refused.accessJwt) {
      const refreshed = this.anonymous.com.atproto.server
        .refreshSession(undefined, { headers: { authorization: `Bearer ${refused.refreshJwt}` } })
        .then((res) => res.data)
        .catch(() => this.createSession());
      this.session = this.started(refreshed);
      this.renewal = { from: refused.accessJwt, session: this.session };
    }
    return this.renewal.session;
  }

  private started(answer: Promise<Session>): Promise<Session> {
    return answer.then(
      (session) => {
        this.accessJwt = session.accessJwt;
        this.pdsUrl =
          (atprotoCommon().isValidDidDoc(session.didDoc) && atprotoCommon().getPdsEndpoint(session.didDoc)) ||
          this.credentials.service;
        return session;
      },
      (error: unknown) => {
        this.session = undefined;
        throw mapError(error, 'sign in');
      },
    );
  }
}

/** The PDS no longer takes the access token: 401, or 400 ExpiredToken. */
function sessionRefused(error: unknown): boolean {
  return (
    error instanceof atproto().XRPCError &&
    (error.status === 401 || (error.status === 400 && error.error === 'ExpiredToken'))
  );
}

function strongRef(ref: PostRef): StrongRef {
  const cid = ref.meta?.cid;
  if (!cid)
    throw new PermanentError(
      `the earlier Bluesky post ${ref.externalId} was recorded without its cid, so a reply cannot reference it; retry the first update's delivery`,
    );
  return { uri: ref.externalId, cid };
}

export function toRef(ref: StrongRef): SentRef {
  // at://did/app.bsky.feed.post/rkey → https://bsky.app/profile/did/post/rkey
  const [, did, , rkey] = ref.uri.replace('at://', '/').split('/');
  return { externalId: ref.uri, externalUrl: `https://bsky.app/profile/${did}/post/${rkey}`, meta: { cid: ref.cid } };
}

export function mapError(error: unknown, what: string, now = Date.now()): ChannelError {
  if (error instanceof PermanentError || error instanceof RetryableError || error instanceof RateLimitedError)
    return error;
  if (error instanceof atproto().XRPCError) {
    const detail = `${error.error || 'error'}: ${error.message}`.slice(0, 200);
    if (error.status === 429) {
      const reset = Number(error.headers?.['ratelimit-reset']);
      const untilMs = Number.isFinite(reset) && reset > 0 ? reset * 1000 : now + 5 * 60_000;
      return new RateLimitedError(
        untilMs,
        `Bluesky rate limit reached (${what}); posting resumes at ${new Date(untilMs).toISOString()}`,
      );
    }
    if (error.status === 401) {
      return new PermanentError(
        `Bluesky rejected the sign-in (${what}, HTTP 401 ${detail}); check BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD (an app password, not the account password)`,
      );
    }
    // XRPC reports network failures and timeouts as status 1 (Unknown) or similar non-HTTP codes.
    if (error.status < 100)
      return noAnswerError(`Bluesky did not answer (${what}): ${detail}; will retry`, error.cause);
    return errorForHttpStatus(error.status, `Bluesky ${what}: ${detail}`, undefined, now);
  }
  return noAnswerError(`Bluesky ${what} failed: ${(error as Error)?.message ?? String(error)}; will retry`, error);
}

import { AtpAgent, XRPCError } from '@atproto/api';
import type { PostRef, SentRef } from '../channel.js';
import { lightFetch } from '../http.js';
import { type ChannelError, PermanentError, RateLimitedError, RetryableError, errorForHttpStatus } from '../errors.js';
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

/** Bluesky through @atproto/api: an app-password session, posts as app.bsky.feed.post records. */
export class BlueskyClient {
  private readonly agent: AtpAgent;
  private session?: Promise<string>;

  constructor(
    private readonly credentials: BlueskyCredentials,
    timeoutMs: number,
  ) {
    const timeout = timeoutMs;
    this.agent = new AtpAgent({
      service: credentials.service,
      fetch: (input, init) => {
        const limit = AbortSignal.timeout(timeout);
        return lightFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, limit]) : limit });
      },
    });
  }

  async post(message: BlueskyPost, thread: { first: PostRef; previous: PostRef } | undefined, signal?: AbortSignal): Promise<SentRef> {
    const record: Record<string, unknown> = { $type: POST, text: message.text, createdAt: new Date().toISOString() };
    if (message.facets.length > 0) record.facets = message.facets;
    if (thread) record.reply = { root: strongRef(thread.first), parent: strongRef(thread.previous) };
    const res = await this.call('post', (did) => this.agent.com.atproto.repo.createRecord({ repo: did, collection: POST, record }, { signal }));
    return toRef(res.data);
  }

  /** The account's latest posts, newest first, exactly as stored. */
  async recentPosts(limit = 25, signal?: AbortSignal): Promise<Array<{ uri: string; cid: string; value: Record<string, unknown> }>> {
    const res = await this.call('look up recent posts', (did) => this.agent.com.atproto.repo.listRecords({ repo: did, collection: POST, limit }, { signal }));
    return res.data.records as Array<{ uri: string; cid: string; value: Record<string, unknown> }>;
  }

  /** Runs `fn` with a session; a session the server no longer accepts is replaced once by a fresh login. */
  private async call<T>(what: string, fn: (did: string) => Promise<T>): Promise<T> {
    let did = await this.login();
    try {
      return await fn(did);
    } catch (error) {
      if (!(error instanceof XRPCError && error.status === 401)) throw mapError(error, what);
    }
    this.session = undefined;
    did = await this.login();
    try {
      return await fn(did);
    } catch (error) {
      throw mapError(error, what);
    }
  }

  private login(): Promise<string> {
    this.session ??= this.agent
      .login({ identifier: this.credentials.identifier, password: this.credentials.appPassword })
      .then((res) => res.data.did)
      .catch((error: unknown) => {
        this.session = undefined;
        throw mapError(error, 'sign in');
      });
    return this.session;
  }
}

function strongRef(ref: PostRef): StrongRef {
  const cid = ref.meta?.cid;
  if (!cid) throw new PermanentError(`the earlier Bluesky post ${ref.externalId} was recorded without its cid, so a reply cannot reference it; retry the first update's delivery`);
  return { uri: ref.externalId, cid };
}

export function toRef(ref: StrongRef): SentRef {
  // at://did/app.bsky.feed.post/rkey → https://bsky.app/profile/did/post/rkey
  const [, did, , rkey] = ref.uri.replace('at://', '/').split('/');
  return { externalId: ref.uri, externalUrl: `https://bsky.app/profile/${did}/post/${rkey}`, meta: { cid: ref.cid } };
}

export function mapError(error: unknown, what: string, now = Date.now()): ChannelError {
  if (error instanceof PermanentError || error instanceof RetryableError || error instanceof RateLimitedError) return error;
  if (error instanceof XRPCError) {
    const detail = `${error.error || 'error'}: ${error.message}`.slice(0, 200);
    if (error.status === 429) {
      const reset = Number(error.headers?.['ratelimit-reset']);
      const untilMs = Number.isFinite(reset) && reset > 0 ? reset * 1000 : now + 5 * 60_000;
      return new RateLimitedError(untilMs, `Bluesky rate limit reached (${what}); posting resumes at ${new Date(untilMs).toISOString()}`);
    }
    if (error.status === 401) {
      return new PermanentError(`Bluesky rejected the sign-in (${what}, HTTP 401 ${detail}); check BLUESKY_IDENTIFIER and BLUESKY_APP_PASSWORD (an app password, not the account password)`);
    }
    // XRPC reports network failures and timeouts as status 1 (Unknown) or similar non-HTTP codes.
    if (error.status < 100) return new RetryableError(`Bluesky did not answer (${what}): ${detail}; will retry`);
    return errorForHttpStatus(error.status, `Bluesky ${what}: ${detail}`, undefined, now);
  }
  return new RetryableError(`Bluesky ${what} failed: ${(error as Error)?.message ?? String(error)}; will retry`);
}

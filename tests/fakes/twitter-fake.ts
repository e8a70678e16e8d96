import twitterText from 'twitter-text';
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

// A local X API v2 for the endpoints Herald uses, after docs.x.com:
//   POST /2/tweets            {text, reply?: {in_reply_to_tweet_id}} → 201 {data: {id, text, edit_history_tweet_ids}}
//   GET  /2/users/me          → {data: {id, name, username}}
//   GET  /2/users/:id/tweets  ?max_results&tweet.fields → {data: [...newest first], meta: {result_count, newest_id, oldest_id}}
// Errors are problem+json ({title, detail, type, status}); 429 carries x-rate-limit-* (epoch seconds) and, for the
// 24-hour user cap, x-user-limit-24hour-*. Requests must carry an OAuth 1.0a header for the expected consumer and token.
// Like X, texts read back show links as t.co URLs.

export interface TwitterFakeOptions {
  appKey?: string;
  accessToken?: string;
}

interface StoredTweet extends AcceptedPost {
  shown: string;
}

export class TwitterFake extends FakeControls {
  readonly userId = '1500000000000000001';
  readonly username = 'examplestatus';
  readonly appKey: string;
  readonly accessToken: string;
  private server?: FakeServer;
  private nextId = 1_800_000_000_000_000_000n;
  private readonly tweets: StoredTweet[] = [];
  readonly requests: Array<{ method: string; path: string }> = [];

  constructor(options: TwitterFakeOptions = {}) {
    super();
    this.appKey = options.appKey ?? 'fake-app-key';
    this.accessToken = options.accessToken ?? 'fake-access-token';
  }

  /** Base URL to give the channel as apiUrl, e.g. http://127.0.0.1:PORT/2/ */
  get apiUrl(): string {
    return `${this.server!.url}/2/`;
  }

  async start(): Promise<this> {
    this.server = await startFakeServer((req, res, body, url) => {
      this.requests.push({ method: req.method ?? '', path: url.pathname });
      const auth = req.headers.authorization ?? '';
      if (
        !auth.startsWith('OAuth ') ||
        !auth.includes(`oauth_consumer_key="${encodeURIComponent(this.appKey)}"`) ||
        !auth.includes(`oauth_token="${encodeURIComponent(this.accessToken)}"`) ||
        !auth.includes('oauth_signature=')
      ) {
        return problem(res, 401, 'Unauthorized', 'Unauthorized');
      }
      if (req.method === 'POST' && url.pathname === '/2/tweets') return this.createTweet(res, body);
      if (req.method === 'GET' && url.pathname === '/2/users/me') {
        return sendJson(
          res,
          200,
          { data: { id: this.userId, name: 'Example Status', username: this.username } },
          limitHeaders(75),
        );
      }
      const timeline = url.pathname.match(/^\/2\/users\/([^/]+)\/tweets$/);
      if (req.method === 'GET' && timeline)
        return this.timeline(res, decodeURIComponent(timeline[1]!), url.searchParams);
      return problem(
        res,
        404,
        'Not Found Error',
        `Could not find ${url.pathname}`,
        'https://api.twitter.com/2/problems/resource-not-found',
      );
    }, this);
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private async createTweet(res: import('node:http').ServerResponse, body: string) {
    const fault = this.takeFault();
    if (fault?.kind === '429') {
      return problem(
        res,
        429,
        'Too Many Requests',
        'Too Many Requests',
        'about:blank',
        limitHeaders(100, 0, fault.resetAtMs),
      );
    }
    if (fault?.kind === '429-24h') {
      const reset = String(Math.floor((fault.resetAtMs ?? Date.now() + 86_400_000) / 1000));
      return problem(res, 429, 'Too Many Requests', 'Too Many Requests', 'about:blank', {
        ...limitHeaders(100, 97),
        'x-user-limit-24hour-limit': '17',
        'x-user-limit-24hour-remaining': '0',
        'x-user-limit-24hour-reset': reset,
      });
    }
    if (fault?.kind === '5xx') return problem(res, 503, 'Service Unavailable', 'Service Unavailable');
    if (fault?.kind === 'auth') return problem(res, 401, 'Unauthorized', 'Unauthorized');
    const json = parseJson(body);
    const text = typeof json?.text === 'string' ? json.text : undefined;
    if (text === undefined) return invalid(res, 'The `text` field is required when no media is attached.');
    if (!twitterText.parseTweet(text).valid)
      return invalid(res, 'The tweet text is too long or contains invalid characters.');
    if (fault?.kind === 'duplicate' || this.tweets.some((t) => t.text === text)) {
      return problem(res, 403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.');
    }
    const reply = json?.reply as { in_reply_to_tweet_id?: unknown } | undefined;
    const replyTo = typeof reply?.in_reply_to_tweet_id === 'string' ? reply.in_reply_to_tweet_id : null;
    if (replyTo && !this.tweets.some((t) => t.id === replyTo)) {
      return invalid(res, `The \`reply.in_reply_to_tweet_id\` value [${replyTo}] does not exist or is not visible.`);
    }
    const id = String(this.nextId++);
    const tweet: StoredTweet = { id, text, replyTo, at: preciseNow(), shown: shortenLinks(text) };
    this.tweets.push(tweet);
    this.accept(tweet);
    if (this.holdAnswers) return hold(res);
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    sendJson(res, 201, { data: { id, text: tweet.shown, edit_history_tweet_ids: [id] } }, limitHeaders(100, 99));
  }

  private timeline(res: import('node:http').ServerResponse, userId: string, query: URLSearchParams) {
    this.lookUps++;
    // X's Free access level: POST /2/tweets and GET /2/users/me only; the timeline is refused like this.
    if (this.lookUp === 'refused')
      return sendJson(
        res,
        403,
        {
          client_id: '27316216',
          detail:
            'When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.',
          registration_url: 'https://developer.twitter.com/en/docs/projects/overview',
          title: 'Client Forbidden',
          required_enrollment: 'Appropriate Level of API Access',
          reason: 'client-not-enrolled',
          type: 'https://api.twitter.com/2/problems/client-forbidden',
        },
        { 'content-type': 'application/problem+json' },
      );
    if (userId !== this.userId)
      return problem(
        res,
        404,
        'Not Found Error',
        `Could not find user with id: [${userId}].`,
        'https://api.twitter.com/2/problems/resource-not-found',
      );
    const max = Number(query.get('max_results') ?? 10);
    if (!Number.isInteger(max) || max < 5 || max > 100)
      return invalid(
        res,
        `The \`max_results\` query parameter value [${query.get('max_results')}] is not between 5 and 100`,
      );
    const fields = (query.get('tweet.fields') ?? '').split(',');
    const page = [...this.tweets].reverse().slice(0, max);
    if (page.length === 0) return sendJson(res, 200, { meta: { result_count: 0 } }, limitHeaders(900));
    const data = page.map((t) => ({
      id: t.id,
      text: t.shown,
      edit_history_tweet_ids: [t.id],
      ...(fields.includes('created_at') ? { created_at: new Date(t.at).toISOString() } : {}),
      ...(fields.includes('referenced_tweets') && t.replyTo
        ? { referenced_tweets: [{ type: 'replied_to', id: t.replyTo }] }
        : {}),
    }));
    sendJson(
      res,
      200,
      { data, meta: { result_count: data.length, newest_id: data[0]!.id, oldest_id: data[data.length - 1]!.id } },
      limitHeaders(900),
    );
  }
}

function limitHeaders(
  limit: number,
  remaining = limit - 1,
  resetAtMs = Date.now() + 15 * 60_000,
): Record<string, string> {
  return {
    'x-rate-limit-limit': String(limit),
    'x-rate-limit-remaining': String(remaining),
    'x-rate-limit-reset': String(Math.floor(resetAtMs / 1000)),
  };
}

function problem(
  res: import('node:http').ServerResponse,
  status: number,
  title: string,
  detail: string,
  type = 'about:blank',
  headers: Record<string, string> = {},
) {
  sendJson(res, status, { title, detail, type, status }, { 'content-type': 'application/problem+json', ...headers });
}

function invalid(res: import('node:http').ServerResponse, message: string) {
  sendJson(res, 400, {
    errors: [{ parameters: {}, message }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  });
}

let tco = 0;
/** X rewrites every link to a 23-character t.co URL. */
function shortenLinks(text: string): string {
  return text.replace(/https?:\/\/\S+/g, () => `https://t.co/${(tco++).toString(36).padStart(10, 'x')}`);
}

import {
  type FailureKind,
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  retryAfterSeconds,
  gate,
  startFakeServer,
} from './webhook-chat-fake-server.js';
import { preciseNow } from './clock.js';

// A Discourse API fake, after https://docs.discourse.org: Api-Key/Api-Username headers; POST /posts.json opens
// a topic (title, raw, category) or replies (topic_id, raw) and answers the post {id, topic_id, topic_slug,
// post_number, raw…}; PUT /posts/{id}.json edits (post[raw]); 422 {errors:[…]} on validation (duplicate title);
// 429 {errors, error_type:"rate_limit", extras:{wait_seconds}} with Retry-After; 403 {error_type:"invalid_access"}.

export interface DiscourseFakePost {
  id: number;
  topic_id: number;
  post_number: number;
  raw: string;
  edits: Array<{ raw: string; reason?: string; at: number }>;
  createdAt: number;
}
export interface DiscourseFakeTopic {
  id: number;
  title: string;
  slug: string;
  category_id: number;
}

export interface DiscourseFake {
  url: string;
  apiKey: string;
  username: string;
  categoryId: number;
  server: FakeServer;
  topics: DiscourseFakeTopic[];
  posts: DiscourseFakePost[];
  calls: Array<{ method: string; path: string; at: number }>;
  failNext(kind: FailureKind, options?: { resetAtMs?: number }): void;
  /** A topic made outside Herald's current attempt (an earlier, lost attempt, or another incident). */
  seedTopic(title: string, raw: string): DiscourseFakeTopic;
  /** The next post is stored but its answer is held until `release()` (or the client gives up): an unknown outcome. */
  holdNextPost(): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

export async function startDiscourseFake(
  options: { apiKey?: string; username?: string; categoryId?: number; minTitleLength?: number } = {},
): Promise<DiscourseFake> {
  const apiKey = options.apiKey ?? 'discourse-fake-key-0123456789abcdef';
  const username = options.username ?? 'herald';
  const categoryId = options.categoryId ?? 7;
  const topics: DiscourseFakeTopic[] = [];
  const posts: DiscourseFakePost[] = [];
  const calls: DiscourseFake['calls'] = [];
  const failures: Array<{ kind: FailureKind; resetAtMs?: number }> = [];
  let nextPostId = 100;
  let nextTopicId = 10;
  let hold: ReturnType<typeof gate> | undefined;
  const held = async (req: FakeRequest, answer: FakeResponse): Promise<FakeResponse> => {
    if (!hold) return answer;
    const h = hold;
    hold = undefined;
    h.reached();
    await Promise.race([h.released, req.gone]);
    return answer;
  };

  const slugify = (t: string) =>
    t
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'topic';
  const postView = (p: DiscourseFakePost) => {
    const topic = topics.find((t) => t.id === p.topic_id)!;
    return {
      id: p.id,
      name: null,
      username,
      topic_id: p.topic_id,
      topic_slug: topic.slug,
      post_number: p.post_number,
      raw: p.edits.at(-1)?.raw ?? p.raw,
      cooked: `<p>${p.raw.slice(0, 40)}</p>`,
      created_at: new Date(p.createdAt).toISOString(),
      version: p.edits.length + 1,
      reply_count: 0,
    };
  };
  const newTopic = (title: string, raw: string): DiscourseFakePost => {
    const topic: DiscourseFakeTopic = { id: nextTopicId++, title, slug: slugify(title), category_id: categoryId };
    topics.push(topic);
    const post: DiscourseFakePost = {
      id: nextPostId++,
      topic_id: topic.id,
      post_number: 1,
      raw,
      edits: [],
      createdAt: preciseNow(),
    };
    posts.push(post);
    return post;
  };
  const errors = (status: number, list: string[], extra: Record<string, unknown> = {}): FakeResponse => ({
    status,
    body: { action: 'create_post', errors: list, ...extra },
  });

  const server = await startFakeServer(async (req: FakeRequest): Promise<FakeResponse> => {
    calls.push({ method: req.method, path: req.path, at: preciseNow() });
    const failure = failures.shift();
    if (failure?.kind === '429') {
      const wait = retryAfterSeconds(failure.resetAtMs);
      return {
        status: 429,
        headers: { 'retry-after': String(wait) },
        body: {
          errors: [`You’ve performed this action too many times. Please wait ${wait} seconds before trying again.`],
          error_type: 'rate_limit',
          extras: { wait_seconds: wait, time_left: `${wait} seconds` },
        },
      };
    }
    if (failure?.kind === '5xx') return { status: 502, body: '<html><body>502 Bad Gateway</body></html>' };
    if (failure?.kind === 'auth' || req.headers['api-key'] !== apiKey || req.headers['api-username'] !== username) {
      return {
        status: 403,
        body: {
          errors: ['You are not permitted to view the requested resource. The API username or key is invalid.'],
          error_type: 'invalid_access',
        },
      };
    }
    const body = parseBody(req);
    let m: RegExpMatchArray | null;
    if (req.method === 'POST' && req.path === '/posts.json') {
      const raw = String(body.raw ?? '');
      if (raw.trim().length < 20) return errors(422, ['Body is too short (minimum is 20 characters)']);
      if (body.topic_id !== undefined) {
        const topic = topics.find((t) => t.id === Number(body.topic_id));
        if (!topic)
          return {
            status: 404,
            body: { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' },
          };
        const post: DiscourseFakePost = {
          id: nextPostId++,
          topic_id: topic.id,
          post_number: posts.filter((p) => p.topic_id === topic.id).length + 1,
          raw,
          edits: [],
          createdAt: preciseNow(),
        };
        posts.push(post);
        return held(req, { status: 200, body: postView(post) });
      }
      const title = String(body.title ?? '');
      if (title.length < (options.minTitleLength ?? 15))
        return errors(422, [`Title is too short (minimum is ${options.minTitleLength ?? 15} characters)`]);
      if (Number(body.category) !== categoryId) return errors(422, ['Category can’t be blank']);
      if (topics.some((t) => t.title.toLowerCase() === title.toLowerCase()))
        return errors(422, ['Title has already been used']);
      return held(req, { status: 200, body: postView(newTopic(title, raw)) });
    }
    if (req.method === 'PUT' && (m = req.path.match(/^\/posts\/(\d+)\.json$/))) {
      const post = posts.find((p) => p.id === Number(m![1]));
      if (!post)
        return {
          status: 404,
          body: { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' },
        };
      const raw = String(body['post[raw]'] ?? (body.post as { raw?: string } | undefined)?.raw ?? '');
      post.edits.push({ raw, reason: String(body['post[edit_reason]'] ?? ''), at: preciseNow() });
      return { status: 200, body: { post: postView(post) } };
    }
    if (req.method === 'GET' && (m = req.path.match(/^\/t\/(\d+)\.json$/))) {
      const topic = topics.find((t) => t.id === Number(m![1]));
      if (!topic)
        return {
          status: 404,
          body: { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' },
        };
      const includeRaw = req.query.get('include_raw') === '1' || req.query.get('include_raw') === 'true';
      const stream = posts
        .filter((p) => p.topic_id === topic.id)
        .slice(0, 20)
        .map((p) => {
          const { raw, ...rest } = postView(p);
          return includeRaw ? { ...rest, raw } : rest;
        });
      return {
        status: 200,
        body: {
          id: topic.id,
          title: topic.title,
          slug: topic.slug,
          category_id: topic.category_id,
          posts_count: stream.length,
          post_stream: { posts: stream, stream: stream.map((p) => p.id) },
        },
      };
    }
    if (req.method === 'GET' && (m = req.path.match(/^\/c\/(\d+)\.json$/))) {
      if (Number(m[1]) !== categoryId)
        return {
          status: 404,
          body: { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' },
        };
      const list = topics
        .filter((t) => t.category_id === categoryId)
        .slice()
        .reverse()
        .map((t) => ({
          id: t.id,
          title: t.title,
          fancy_title: t.title,
          slug: t.slug,
          category_id: t.category_id,
          posts_count: posts.filter((p) => p.topic_id === t.id).length,
        }));
      return { status: 200, body: { users: [], topic_list: { per_page: 30, topics: list } } };
    }
    return {
      status: 404,
      body: { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' },
    };
  });

  return {
    url: server.url,
    apiKey,
    username,
    categoryId,
    server,
    topics,
    posts,
    calls,
    failNext(kind, opts = {}) {
      failures.push({ kind, ...opts });
    },
    holdNextPost() {
      hold = gate();
      return { arrived: hold.arrived, release: hold.release };
    },
    seedTopic(title, raw) {
      const post = newTopic(title, raw);
      return topics.find((t) => t.id === post.topic_id)!;
    },
    close: () => server.close(),
  };
}

function parseBody(req: FakeRequest): Record<string, unknown> {
  if (!req.rawBody) return {};
  if (String(req.headers['content-type'] ?? '').includes('application/json'))
    return JSON.parse(req.rawBody) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(req.rawBody));
}

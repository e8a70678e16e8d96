import { PermanentError, RetryableError } from '../errors.js';
import { type HttpAnswer, describeBody, errorForAnswer, httpCall } from '../http.js';

export interface DiscoursePost {
  id: number;
  topic_id: number;
  topic_slug?: string;
  post_number: number;
  raw?: string;
}

export interface DiscourseClientOptions {
  url: string;
  apiKey: string;
  username: string;
  timeoutMs?: number;
}

/** The few Discourse API calls Herald makes (https://docs.discourse.org), with Discourse's errors mapped. */
export class DiscourseClient {
  readonly base: string;
  private readonly what: string;

  constructor(private readonly options: DiscourseClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.what = `Discourse at ${new URL(this.base).host}`;
  }

  createPost(body: { raw: string; title?: string; category?: number; topic_id?: number }, signal?: AbortSignal) {
    return this.json<DiscoursePost>('POST', '/posts.json', body, signal);
  }

  editPost(postId: string, raw: string, editReason: string, signal?: AbortSignal) {
    const form = new URLSearchParams({ 'post[raw]': raw, 'post[edit_reason]': editReason });
    return this.json<{ post: DiscoursePost }>('PUT', `/posts/${encodeURIComponent(postId)}.json`, form, signal);
  }

  /** A topic with its first posts' raw Markdown (enough for an incident's updates). */
  topic(topicId: string, signal?: AbortSignal) {
    return this.json<{ id: number; title: string; slug: string; post_stream: { posts: DiscoursePost[] } }>(
      'GET',
      `/t/${encodeURIComponent(topicId)}.json?include_raw=1`,
      undefined,
      signal,
    );
  }

  /** The category's latest topics: immediate, unlike search, whose index lags behind new topics. */
  categoryTopics(categoryId: number, signal?: AbortSignal) {
    return this.json<{ topic_list: { topics: Array<{ id: number; title: string; slug: string }> } }>(
      'GET',
      `/c/${categoryId}.json`,
      undefined,
      signal,
    );
  }

  /** Sends one call; answers the parsed body, or throws the typed error. 422 comes back to the caller. */
  async call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, signal?: AbortSignal): Promise<HttpAnswer> {
    const answer = await httpCall({
      method,
      url: this.base + path,
      headers: { 'Api-Key': this.options.apiKey, 'Api-Username': this.options.username },
      body,
      signal,
      timeoutMs: this.options.timeoutMs,
      followRedirects: method === 'GET',
      what: this.what,
    });
    if ((answer.status >= 200 && answer.status < 300) || answer.status === 422) return answer;
    throw this.error(answer);
  }

  error(answer: HttpAnswer) {
    const waitSeconds = (answer.json as { extras?: { wait_seconds?: number } } | undefined)?.extras?.wait_seconds;
    return errorForAnswer(
      answer,
      this.what,
      describeBody(answer),
      {
        auth: `check DISCOURSE_API_KEY and DISCOURSE_USERNAME: the key must be active, allowed to act as '${this.options.username}', with the create/edit posts scopes`,
        gone: 'the topic, post or category is gone, or DISCOURSE_URL / DISCOURSE_CATEGORY_ID is wrong',
      },
      answer.status === 429 && typeof waitSeconds === 'number' && !answer.headers.get('retry-after')
        ? Date.now() + waitSeconds * 1000
        : undefined,
    );
  }

  private async json<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const answer = await this.call(method, path, body, signal);
    if (answer.status === 422)
      throw new Unprocessable(describeBody(answer), `${this.what} refused the post (422): ${describeBody(answer)}`);
    if (answer.json === undefined)
      throw new RetryableError(
        `${this.what} answered ${answer.status} without JSON (is DISCOURSE_URL the forum's base URL?)`,
      );
    return answer.json as T;
  }
}

/** Discourse's 422: validation errors in `errors[]`. Permanent unless the caller knows better (duplicate title). */
export class Unprocessable extends PermanentError {
  constructor(
    readonly detail: string,
    message: string,
  ) {
    super(message);
  }
  get duplicateTitle() {
    return /title has already been used/i.test(this.detail);
  }
}

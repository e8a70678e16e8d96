import type { Channel, SendTarget, SentRef, ChannelDefinition } from '../channel.js';
import { RetryableError } from '../errors.js';
import { DiscourseClient, type DiscoursePost, Unprocessable } from './client.js';
import { DISCOURSE_POST_MAX, type DiscourseMessage, discourseView, renderDiscourse } from './render.js';

export interface DiscourseChannelOptions {
  name?: string;
  /** Forum base URL, e.g. https://forum.example.com */
  url: string;
  apiKey: string;
  /** The user Herald posts as (Api-Username). */
  username: string;
  categoryId: number;
  rate?: { max: number; perMs: number };
  timeoutMs?: number;
}

/** Appended to every post Herald makes: an HTML comment Discourse keeps in `raw` and leaves out of the page. */
const marker = (key: string) => `<!-- herald:${key} -->`;

export function discourse(options: DiscourseChannelOptions): ChannelDefinition<Channel<DiscourseMessage>> {
  const name = options.name ?? 'discourse';
  return {
    name,
    kind: 'discourse',
    create(runtime) {
      const client = new DiscourseClient(options);
      const log = runtime.logger.child({ channel: name });
      const topicUrl = (slug: string | undefined, topicId: number, postNumber?: number) =>
        `${client.base}/t/${slug ?? '-'}/${topicId}${postNumber && postNumber > 1 ? `/${postNumber}` : ''}`;
      const firstRef = (post: DiscoursePost, slug?: string): SentRef => ({
        externalId: String(post.id),
        externalUrl: topicUrl(slug ?? post.topic_slug, post.topic_id),
        meta: { topicId: String(post.topic_id), postId: String(post.id) },
      });

      /** The topic of this incident in the category, found by the incident link every Herald post carries. */
      async function findIncidentTopic(
        message: DiscourseMessage,
        signal: AbortSignal,
      ): Promise<{ post: DiscoursePost; slug: string } | { clash: true } | null> {
        const { topic_list } = await client.categoryTopics(options.categoryId, signal);
        const sameTitle = topic_list.topics
          .filter((t) => t.title.toLowerCase().startsWith(message.title.toLowerCase()))
          .slice(0, 5);
        for (const candidate of sameTitle) {
          const topic = await client.topic(String(candidate.id), signal);
          const first = topic.post_stream.posts.find((p) => p.post_number === 1);
          if (first?.raw?.includes(message.incidentUrl))
            return { post: { ...first, topic_id: topic.id }, slug: topic.slug };
        }
        return sameTitle.length > 0 ? { clash: true } : null;
      }

      async function openTopic(message: DiscourseMessage, target: SendTarget): Promise<SentRef> {
        const raw = `${message.summaryRaw}\n\n${marker(target.idempotencyKey)}`;
        try {
          return firstRef(
            await client.createPost({ title: message.title, raw, category: options.categoryId }, target.signal),
          );
        } catch (error) {
          if (!(error instanceof Unprocessable) || !error.duplicateTitle) throw error;
        }
        // "Title has already been used": most likely this incident's topic, opened by an attempt whose answer was lost.
        const found = await findIncidentTopic(message, target.signal);
        if (found && 'post' in found) {
          log.info({ topicId: found.post.topic_id }, 'the incident’s Discourse topic exists already; continuing in it');
          return firstRef(found.post, found.slug);
        }
        if (!found)
          throw new RetryableError(
            `Discourse says the title '${message.title}' is taken but the topic is not in category ${options.categoryId} yet; will look again`,
          );
        // Another incident's topic holds the title: open this one under a distinct title.
        const title = `${message.title} (${message.incidentUrl
          .replace(/^.*\/incidents\//, '')
          .replace(/\.html$/, '')
          .slice(-8)})`;
        return firstRef(await client.createPost({ title, raw, category: options.categoryId }, target.signal));
      }

      return {
        name,
        kind: 'discourse',
        capabilities: {
          threads: true,
          audience: false,
          maxLength: DISCOURSE_POST_MAX,
          rate: options.rate ?? { max: 1, perMs: 1_000 },
          concurrency: 1,
        },
        render: renderDiscourse,
        ...discourseView,

        async send(message, target) {
          if (!target.thread) return openTopic(message, target);
          const first = target.thread.first;
          const topicId = first.meta?.topicId;
          if (!topicId) return openTopic(message, target);
          const post = await client.createPost(
            { topic_id: Number(topicId), raw: `${message.replyRaw}\n\n${marker(target.idempotencyKey)}` },
            target.signal,
          );
          return {
            externalId: String(post.id),
            externalUrl: topicUrl(post.topic_slug, post.topic_id, post.post_number),
            meta: { topicId: String(post.topic_id), postId: String(post.id) },
          };
        },

        async editFirstPost(message, first, target) {
          // No topic on record: this update opened one of its own (see send), so there is nothing older to edit.
          if (!first.meta?.topicId) return;
          try {
            await client.editPost(
              first.meta.postId ?? first.externalId,
              `${message.summaryRaw}\n\n${marker(`first-${first.externalId}`)}`,
              'status update',
              target.signal,
            );
          } catch (error) {
            if (!/HTTP 404/.test((error as Error).message)) throw error;
            log.warn({ postId: first.externalId }, 'the topic’s first post is gone; the update was posted anyway');
          }
        },

        async reconcile(message, target) {
          const topicId = target.thread?.first.meta?.topicId;
          if (!topicId) {
            const found = await findIncidentTopic(message, target.signal);
            return found && 'post' in found ? firstRef(found.post, found.slug) : null;
          }
          const topic = await client.topic(topicId, target.signal);
          const post = topic.post_stream.posts.find((p) => p.raw?.includes(marker(target.idempotencyKey)));
          return post
            ? {
                externalId: String(post.id),
                externalUrl: topicUrl(topic.slug, topic.id, post.post_number),
                meta: { topicId: String(topic.id), postId: String(post.id) },
              }
            : null;
        },
      };
    },
  };
}

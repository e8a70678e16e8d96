import { channelContract } from '../contract/channel-contract.js';
import { discord } from '../../src/channels/discord/index.js';
import { discordTexts } from '../../src/channels/discord/render.js';
import { discourse } from '../../src/channels/discourse/index.js';
import { mattermost } from '../../src/channels/mattermost/index.js';
import { mattermostTexts } from '../../src/channels/mattermost/render.js';
import { slack } from '../../src/channels/slack/index.js';
import { slackMeasure, slackWireText } from '../../src/channels/slack/render.js';
import { teams } from '../../src/channels/teams/index.js';
import { teamsTexts } from '../../src/channels/teams/render.js';
import { chatRuntime } from '../helpers/chat-runtime.js';
import { startDiscourseFake } from '../fakes/discourse-fake.js';
import { SLACK_FAKE_CHANNEL, startSlackFake } from '../fakes/slack-fake.js';
import { startDiscordFake, startMattermostFake, startTeamsFake } from '../fakes/webhook-chat-fakes.js';

// Mentions that would notify people on each platform, and markup that would become live.
const SLACK_FORBIDDEN = [/<!channel>/, /<!here>/, /<@U123>/, /<script/i, /<img/i, /<a href/i];
const MD_MENTIONS = [/(^|\s)@(everyone|here|channel|all)\b/];

channelContract('slack', async () => {
  const fake = await startSlackFake();
  const channel = slack({ token: fake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: fake.apiUrl }).create(
    chatRuntime(),
  );
  return {
    channel,
    posts: async () => fake.messages.map((m) => ({ text: m.text, replyTo: m.thread_ts ?? null })),
    failNext: (kind, o) => fake.failNext(kind, { resetAtMs: o?.resetAtMs }),
    measure: slackMeasure,
    wireText: slackWireText,
    forbidden: SLACK_FORBIDDEN,
    secrets: [fake.token],
    close: () => fake.close(),
  };
});

channelContract('discourse', async () => {
  const fake = await startDiscourseFake();
  const channel = discourse({
    url: fake.url,
    apiKey: fake.apiKey,
    username: fake.username,
    categoryId: fake.categoryId,
  }).create(chatRuntime());
  let n = 0;
  return {
    // Every contract case opens an incident with the same title: give each render its own, as incidents do.
    channel: {
      ...channel,
      render: (ctx) => channel.render({ ...ctx, incident: { ...ctx.incident, title: `${ctx.incident.title} ${++n}` } }),
    },
    posts: async () =>
      fake.posts.map((p) => ({
        text: p.raw,
        replyTo:
          p.post_number === 1
            ? null
            : String(fake.posts.find((f) => f.topic_id === p.topic_id && f.post_number === 1)!.id),
      })),
    failNext: (kind, o) => fake.failNext(kind, { resetAtMs: o?.resetAtMs }),
    measure: (m) => Math.max(m.summaryRaw.length, m.replyRaw.length),
    wireText: (m) => `${m.title}\n${m.summaryRaw}\n${m.replyRaw}`,
    forbidden: [/<script/i, /<img/i, /<a href/i, /(^|[^\\])\[url=/i, ...MD_MENTIONS],
    secrets: [fake.apiKey],
    close: () => fake.close(),
  };
});

channelContract('teams', async () => {
  const fake = await startTeamsFake();
  const channel = teams({ webhookUrl: fake.webhookUrl }).create(chatRuntime());
  return {
    channel,
    posts: async () => fake.cards.map((c) => ({ text: c.text, replyTo: null })),
    failNext: (kind, o) => fake.failNext(kind, { resetAtMs: o?.resetAtMs }),
    measure: (m) => Math.max(...teamsTexts(m).map((t) => t.length)),
    wireText: (m) => teamsTexts(m).join('\n'),
    forbidden: [/<script/i],
    secrets: [new URL(fake.webhookUrl).searchParams.get('sig')!],
    close: () => fake.close(),
  };
});

channelContract('discord (forum webhook)', async () => {
  const fake = await startDiscordFake();
  const channel = discord({ webhookUrl: fake.webhookUrl, forum: true }).create(chatRuntime());
  return {
    channel,
    posts: async () => fake.messages.map((m) => ({ text: fake.textOf(m), replyTo: m.thread_id ?? null })),
    failNext: (kind, o) => fake.failNext(kind, { resetAtMs: o?.resetAtMs }),
    measure: (m) => Math.max(...[m.summary, m.update].map((p) => p.embeds[0]!.description.length)),
    wireText: (m) => discordTexts(m).join('\n'),
    // allowed_mentions {parse: []} is what stops pings on Discord; markup is Discord's own Markdown.
    forbidden: [/<script/i],
    secrets: [fake.webhookUrl.split('/').at(-1)!],
    close: () => fake.close(),
  };
});

channelContract('mattermost', async () => {
  const fake = await startMattermostFake();
  const channel = mattermost({ webhookUrl: fake.webhookUrl }).create(chatRuntime());
  return {
    channel,
    posts: async () => fake.posts.map((p) => ({ text: p.text, replyTo: null })),
    failNext: (kind, o) => fake.failNext(kind, { resetAtMs: o?.resetAtMs }),
    measure: (m) => [...m.text].length,
    wireText: (m) => mattermostTexts(m).join('\n'),
    forbidden: [/<script/i, ...MD_MENTIONS],
    secrets: [fake.webhookUrl.split('/').at(-1)!],
    close: () => fake.close(),
  };
});

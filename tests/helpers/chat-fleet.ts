import type { ChannelDefinition } from '../../src/config/define.js';
import { discord } from '../../src/channels/discord/index.js';
import { discourse } from '../../src/channels/discourse/index.js';
import { mattermost } from '../../src/channels/mattermost/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { teams } from '../../src/channels/teams/index.js';
import { type DiscourseFake, startDiscourseFake } from '../fakes/discourse-fake.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import {
  type DiscordFake,
  type MattermostFake,
  type TeamsFake,
  startDiscordFake,
  startMattermostFake,
  startTeamsFake,
} from '../fakes/webhook-chat-fakes.js';

/** Every chat channel, each on its own protocol fake: two Slack workspaces, Teams, Discord, Mattermost, Discourse. */
export interface ChatFleet {
  slack: SlackFake;
  slackCommunity: SlackFake;
  teams: TeamsFake;
  discord: DiscordFake;
  mattermost: MattermostFake;
  discourse: DiscourseFake;
  /** Each channel's kind and options (without the rate limit), e.g. for a Herald started as a process. */
  settings: ChatChannelSetting[];
  definitions: ChannelDefinition[];
  close(): Promise<void>;
}

const FACTORIES = { slack, teams, discord, mattermost, discourse };

export interface ChatChannelSetting {
  kind: keyof typeof FACTORIES;
  options: Record<string, unknown>;
}

// The fakes answer at once; the providers' real rate limits would only add waiting to these runs.
const FAST = { max: 1000, perMs: 1000 };

export async function startChatFleet(): Promise<ChatFleet> {
  const [slackFake, community, teamsFake, discordFake, mattermostFake, discourseFake] = await Promise.all([
    startSlackFake(),
    startSlackFake({ token: 'xoxb-community-secret' }),
    startTeamsFake(),
    startDiscordFake(),
    startMattermostFake(),
    startDiscourseFake(),
  ]);
  const settings: ChatChannelSetting[] = [
    { kind: 'slack', options: { token: slackFake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: slackFake.apiUrl } },
    {
      kind: 'slack',
      options: {
        name: 'slack-community',
        token: community.token,
        channel: SLACK_FAKE_CHANNEL.id,
        apiUrl: community.apiUrl,
      },
    },
    { kind: 'teams', options: { webhookUrl: teamsFake.webhookUrl } },
    { kind: 'discord', options: { webhookUrl: discordFake.webhookUrl } },
    { kind: 'mattermost', options: { webhookUrl: mattermostFake.webhookUrl } },
    {
      kind: 'discourse',
      options: {
        url: discourseFake.url,
        apiKey: discourseFake.apiKey,
        username: discourseFake.username,
        categoryId: discourseFake.categoryId,
      },
    },
  ];
  const definitions = settings.map(({ kind, options }) =>
    (FACTORIES[kind] as (o: object) => ChannelDefinition)({ ...options, rate: FAST }),
  );
  return {
    slack: slackFake,
    slackCommunity: community,
    teams: teamsFake,
    discord: discordFake,
    mattermost: mattermostFake,
    discourse: discourseFake,
    settings,
    definitions,
    close: async () => {
      await Promise.all(
        [slackFake, community, teamsFake, discordFake, mattermostFake, discourseFake].map((f) => f.close()),
      );
    },
  };
}

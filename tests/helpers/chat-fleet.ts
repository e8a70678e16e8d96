import type { ChannelDefinition } from '../../src/config/define.js';
import { discord } from '../../src/channels/discord/index.js';
import { discourse } from '../../src/channels/discourse/index.js';
import { mattermost } from '../../src/channels/mattermost/index.js';
import { slack } from '../../src/channels/slack/index.js';
import { teams } from '../../src/channels/teams/index.js';
import { type DiscourseFake, startDiscourseFake } from '../fakes/discourse-fake.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import { type DiscordFake, type MattermostFake, type TeamsFake, startDiscordFake, startMattermostFake, startTeamsFake } from '../fakes/webhook-chat-fakes.js';

/** Every chat channel, each on its own protocol fake: two Slack workspaces, Teams, Discord, Mattermost, Discourse. */
export interface ChatFleet {
  slack: SlackFake;
  slackCommunity: SlackFake;
  teams: TeamsFake;
  discord: DiscordFake;
  mattermost: MattermostFake;
  discourse: DiscourseFake;
  definitions: ChannelDefinition[];
  close(): Promise<void>;
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
  const definitions = [
    slack({ token: slackFake.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: slackFake.apiUrl, rate: FAST }),
    slack({ name: 'slack-community', token: community.token, channel: SLACK_FAKE_CHANNEL.id, apiUrl: community.apiUrl, rate: FAST }),
    teams({ webhookUrl: teamsFake.webhookUrl, rate: FAST }),
    discord({ webhookUrl: discordFake.webhookUrl, rate: FAST }),
    mattermost({ webhookUrl: mattermostFake.webhookUrl, rate: FAST }),
    discourse({ url: discourseFake.url, apiKey: discourseFake.apiKey, username: discourseFake.username, categoryId: discourseFake.categoryId, rate: FAST }),
  ] as ChannelDefinition[];
  return {
    slack: slackFake,
    slackCommunity: community,
    teams: teamsFake,
    discord: discordFake,
    mattermost: mattermostFake,
    discourse: discourseFake,
    definitions,
    close: async () => {
      await Promise.all([slackFake, community, teamsFake, discordFake, mattermostFake, discourseFake].map((f) => f.close()));
    },
  };
}

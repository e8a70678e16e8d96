// Every channel Herald ships, by kind. Adding a channel: its folder, its templates, one line here.
export { log } from './log/index.js';
export { statuspage } from './statuspage/index.js';
export { twitter } from './twitter/index.js';
export { mastodon } from './mastodon/index.js';
export { bluesky } from './bluesky/index.js';
export { slack } from './slack/index.js';
export { teams } from './teams/index.js';
export { discord } from './discord/index.js';
export { mattermost } from './mattermost/index.js';
export { discourse } from './discourse/index.js';
export { email } from './email/index.js';
export { sms } from './sms/index.js';
export { webhooks } from './webhooks/index.js';

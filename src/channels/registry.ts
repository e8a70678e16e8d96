// Every channel Herald ships, by kind. Adding a channel: its folder, its templates, one line here.
export { log } from './log/index.js';
export { statuspage } from '../statuspage/channel.js';
export { twitter } from './twitter/index.js';
export { mastodon } from './mastodon/index.js';
export { bluesky } from './bluesky/index.js';

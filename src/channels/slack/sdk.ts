import { lazyRequire } from '../../lib/lazy-require.js';

/** Slack's SDK, loaded when a Slack channel is set up: a process without one does not carry it. */
export const slackSdk = lazyRequire<typeof import('@slack/web-api')>('@slack/web-api');

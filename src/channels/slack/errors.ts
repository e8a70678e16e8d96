import type { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { slackSdk } from './sdk.js';
import {
  type ChannelError,
  PermanentError,
  RateLimitedError,
  RetryableError,
  errorForHttpStatus,
  noAnswerError,
} from '../errors.js';

const AUTH = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'ekm_access_denied',
  'team_access_not_granted',
]);
const TRANSIENT = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

/** Maps what @slack/web-api throws to the channel's typed errors, with a message that says what to fix. */
export function slackError(error: unknown, method: string, channel: string, now = Date.now()): ChannelError {
  const { ErrorCode } = slackSdk();
  const code = (error as { code?: string }).code;
  if (code === ErrorCode.RateLimitedError) {
    const seconds = (error as WebAPIRateLimitedError).retryAfter;
    return new RateLimitedError(now + seconds * 1000, `Slack rate-limited ${method}; Retry-After ${seconds}s`);
  }
  if (code === ErrorCode.HTTPError) {
    const http = error as WebAPIHTTPError;
    return errorForHttpStatus(http.statusCode, `Slack ${method} answered ${http.statusCode} ${http.statusMessage}`);
  }
  if (code === ErrorCode.RequestError) {
    const original = (error as Error & { original?: Error }).original;
    return noAnswerError(`Slack ${method} could not be reached: ${original?.message ?? 'network error'}`, original);
  }
  if (code !== ErrorCode.PlatformError)
    return new RetryableError(`Slack ${method} failed unexpectedly: ${(error as Error).message}`);

  const data = (error as WebAPIPlatformError).data;
  const slackCode = data.error;
  if (slackCode === 'ratelimited')
    return new RateLimitedError(now + 60_000, `Slack rate-limited ${method} (ratelimited)`);
  if (TRANSIENT.has(slackCode))
    return new RetryableError(`Slack ${method} failed on Slack's side (${slackCode}); will retry`);
  if (AUTH.has(slackCode)) {
    return new PermanentError(
      `Slack refused the bot token (${slackCode}): create or reinstall the Slack app, copy its Bot User OAuth Token (xoxb-…) into SLACK_TOKEN and restart Herald`,
    );
  }
  const fix: Record<string, string> = {
    channel_not_found: `Slack has no channel '${channel}' the bot can see: set SLACK_CHANNEL to the channel's ID (C…, from the channel's About tab), and for a private channel invite the bot first`,
    not_in_channel: `the Slack bot is not a member of '${channel}': invite it there with /invite @YourBotName (or add the chat:write.public scope for public channels)`,
    is_archived: `Slack channel '${channel}' is archived: unarchive it or point SLACK_CHANNEL at another channel`,
    missing_scope: `the Slack token lacks the scope '${(data as { needed?: string }).needed ?? '?'}': add it under OAuth & Permissions, reinstall the app and update SLACK_TOKEN`,
    restricted_action: `the workspace does not let this bot post in '${channel}': ask a Slack admin to allow it`,
    msg_too_long: 'Slack refused the message as too long; this is a Herald bug, please report it',
    invalid_blocks: 'Slack refused the Block Kit layout; this is a Herald bug, please report it',
  };
  return new PermanentError(`Slack ${method} failed: ${fix[slackCode] ?? slackCode}`);
}

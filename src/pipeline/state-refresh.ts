import type { Channel, StateChange } from '../channels/channel.js';
import type { Logger } from '../runtime/logger.js';

/** Waits for the status page to show a change, but never holds a request longer than this. */
const REFRESH_WAIT_MS = 2_000;

/** refreshChannels, waited for at most REFRESH_WAIT_MS: the caller's answer usually finds the page current. */
export async function refreshSoon(
  channels: ReadonlyArray<Pick<Channel, 'name' | 'refresh'>>,
  change: StateChange,
  logger: Logger,
): Promise<void> {
  const refreshed = refreshChannels(channels, change, logger);
  await Promise.race([refreshed, new Promise((r) => setTimeout(r, REFRESH_WAIT_MS).unref())]);
}

/** Tells the channels that show current state about a change; a failure is logged, the next change repairs it. */
export async function refreshChannels(
  channels: ReadonlyArray<Pick<Channel, 'name' | 'refresh'>>,
  change: StateChange,
  logger: Logger,
): Promise<void> {
  await Promise.all(
    channels
      .filter((c) => c.refresh)
      .map((c) =>
        c.refresh!(change).catch((err: unknown) =>
          logger.warn({ channel: c.name, err: (err as Error).message }, 'channel refresh failed'),
        ),
      ),
  );
}

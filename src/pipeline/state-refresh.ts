import type { Channel, StateChange } from '../channels/channel.js';
import type { Logger } from '../runtime/logger.js';
import { PeriodicTask } from '../runtime/periodic.js';
import type { Store } from '../store/store.js';
import { advanceMaintenances } from './maintenance.js';

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

/**
 * Moves scheduled maintenances into progress and to completion on time (Statuspage's auto-transitions), then
 * refreshes the status page. Idempotent, so several processes may run it.
 */
export class MaintenanceTicker {
  private readonly periodic: PeriodicTask<void>;

  constructor(
    private readonly store: Store,
    private readonly channels: ReadonlyArray<Channel>,
    private readonly logger: Logger,
    intervalMs = 30_000,
  ) {
    this.periodic = new PeriodicTask(
      () => this.advance(),
      intervalMs,
      (err) => logger.warn({ err: (err as Error).message }, 'maintenance tick failed'),
    );
  }

  start(): this {
    this.periodic.start();
    return this;
  }

  tick(): Promise<void> {
    return this.periodic.runOnce();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async advance(): Promise<void> {
    const changed = await advanceMaintenances(this.store);
    if (changed.length > 0) {
      this.logger.info({ maintenances: changed }, 'maintenance status advanced');
      await refreshChannels(this.channels, { reason: 'maintenances', full: false }, this.logger);
    }
  }
}

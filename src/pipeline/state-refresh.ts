import type { Channel, StateChange } from '../channels/channel.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../store/store.js';
import { advanceMaintenances } from './maintenance.js';

/** Tells the channels that show current state about a change; a failure is logged, the next change repairs it. */
export async function refreshChannels(channels: ReadonlyArray<Channel>, change: StateChange, logger: Logger): Promise<void> {
  await Promise.all(
    channels
      .filter((c) => c.refresh)
      .map((c) => c.refresh!(change).catch((err: unknown) => logger.warn({ channel: c.name, err: (err as Error).message }, 'channel refresh failed'))),
  );
}

/**
 * Moves scheduled maintenances into progress and to completion on time (Statuspage's auto-transitions), then
 * refreshes the status page. Idempotent, so several processes may run it.
 */
export class MaintenanceTicker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly channels: ReadonlyArray<Channel>,
    private readonly logger: Logger,
    private readonly intervalMs = 30_000,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        const changed = await advanceMaintenances(this.store);
        if (changed.length > 0) {
          this.logger.info({ maintenances: changed }, 'maintenance status advanced');
          await refreshChannels(this.channels, { reason: 'maintenances', full: false }, this.logger);
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'maintenance tick failed');
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

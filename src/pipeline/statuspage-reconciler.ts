import type { Channel } from '../channels/channel.js';
import type { EngineJob } from './engine.js';
import type { Logger } from '../runtime/logger.js';
import type { CatchUpReport } from '../statuspage/build.js';
import { isStatusPageChannel } from '../channels/statuspage/index.js';

export const RECONCILE_QUEUE = 'statuspage-reconcile';

type Reconciled = { outcome: 'reconciled'; pages: Record<string, CatchUpReport | { error: string }> };

/**
 * The status page's reconciler as a job of the delivery engine, run every reconcileIntervalMs (one job per period
 * across processes): each status page channel brings its site and every target to the latest build
 * (StatusSite.catchUp). Nothing is enqueued per failure, so an outage of any length ends the same way: the first
 * round after the target is back publishes to it. None when no status page channel is configured.
 */
export function statusPageReconcileJob(
  channels: ReadonlyArray<Channel>,
  logger: Logger,
): EngineJob<Record<string, never>, Reconciled> | undefined {
  const pages = channels.filter(isStatusPageChannel);
  if (pages.length === 0) return undefined;
  return {
    queue: RECONCILE_QUEUE,
    concurrency: 1,
    every: { ms: Math.min(...pages.map((p) => p.reconcileIntervalMs)), name: 'reconcile' },
    async process() {
      const result: Reconciled = { outcome: 'reconciled', pages: {} };
      for (const page of pages) {
        try {
          const report = await page.catchUp();
          result.pages[page.name] = report;
          const acted = report.rebuilt || report.targets.some((t) => t.action === 'published');
          if (acted) logger.info({ channel: page.name, ...report }, 'status page reconciled');
        } catch (error) {
          // The database or the site directory is away: the next round tries again.
          result.pages[page.name] = { error: (error as Error).message };
          logger.warn({ channel: page.name, err: (error as Error).message }, 'status page reconcile failed');
        }
      }
      return result;
    },
  };
}

import type { Job } from 'bullmq';
import type { AudienceChannel } from '../../channels/channel.js';
import { matchingIds } from '../../domain/audience.js';
import { nowIso } from '../../domain/ids.js';
import { scanSubscribers } from '../../store/audience-repo.js';
import { claimDelivery } from '../../store/deliveries-repo.js';
import { getFanout, recordPlannedPage, startFanout } from '../../store/fanout-repo.js';
import { loadUpdateContext } from '../context.js';
import type { JobResult } from '../deliver.js';
import type { DeliveryJobData } from '../queues.js';
import { ensurePageJobs } from './repair.js';
import type { FanoutRuntime } from './runtime.js';
import { settleIfDone } from './settle.js';

/** Subscribers read per keyset step; a page holds the matches of one step. */
export const SCAN_SIZE = 1000;

/** The channel job of an audience channel: plans the pages of recipients and enqueues a job per page. */
export async function planFanout(
  fanout: FanoutRuntime,
  channel: AudienceChannel,
  job: Job<DeliveryJobData, JobResult>,
): Promise<JobResult> {
  const { store, site, logger } = fanout.options;
  const { db } = store;
  const { deliveryId, generation } = job.data;
  const log = logger.child({ channel: channel.name, deliveryId });
  const claimed = (await claimDelivery(db, deliveryId, generation, nowIso()))?.delivery;
  if (!claimed) return { outcome: 'noop', reason: 'nothing to claim: settled, retried or claimed elsewhere' };

  let plan = await getFanout(db, deliveryId);
  if (!plan || Number(plan.generation) !== generation) {
    plan = await startFanout(db, deliveryId, generation, nowIso());
  } else {
    // Planned before (crash, Redis flush, sweeper): make sure every unfinished page has its job.
    const repaired = await ensurePageJobs(fanout, channel, deliveryId, generation);
    if (repaired > 0) log.info({ repaired }, 'fan-out pages re-enqueued');
  }

  const context = await loadUpdateContext(db, site, claimed.updateId);
  const affected = new Set(context.incident.components.map((c) => c.id));
  let cursor = plan.cursor;
  let pages = Number(plan.pages);
  let planned = Number(plan.planned) === 1;
  while (!planned) {
    const scanned = await scanSubscribers(db, channel.recipientKind, cursor, SCAN_SIZE);
    const last = scanned.length > 0 ? scanned[scanned.length - 1]!.id : cursor;
    planned = scanned.length < SCAN_SIZE;
    const seq = pages;
    const inserted = await recordPlannedPage(
      db,
      {
        deliveryId,
        generation,
        seq,
        afterId: cursor ?? '',
        lastId: last,
        subscriberIds: matchingIds(scanned, affected),
        planned,
      },
      nowIso(),
    );
    if (inserted > 0) {
      await fanout.enqueuePage(channel, { deliveryId, generation, seq });
      pages = seq + 1;
    }
    cursor = last;
  }
  const settled = await settleIfDone(db, deliveryId, generation);
  log.debug({ pages, settled }, 'fan-out planned');
  return { outcome: settled === 'skipped' ? 'skipped' : 'noop', reason: `fanned out in ${pages} page(s)` };
}

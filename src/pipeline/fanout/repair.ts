import type { AudienceChannel } from '../../channels/channel.js';
import { nowIso } from '../../domain/ids.js';
import { failRestOfPage, openPages } from '../../store/fanout-repo.js';
import { type FanoutRuntime, pageJobId } from './runtime.js';
import { settleIfDone } from './settle.js';

/**
 * Every unfinished page gets a live job: a missing one (Redis flushed) is added again under its
 * deterministic id; one that BullMQ failed for good (not a recipient error: those are recorded) has its
 * remaining recipients recorded failed. Returns how many pages were repaired.
 */
export async function ensurePageJobs(
  fanout: FanoutRuntime,
  channel: AudienceChannel,
  deliveryId: string,
  generation: number,
): Promise<number> {
  const { db } = fanout.options.store;
  let repaired = 0;
  const queue = fanout.pageQueue(channel.name);
  for (const seq of await openPages(db, deliveryId, generation)) {
    const data = { deliveryId, generation, seq };
    const job = await queue.getJob(pageJobId(deliveryId, generation, seq));
    const state = job ? await job.getState() : 'missing';
    if (state === 'missing' || state === 'unknown') {
      await fanout.enqueuePage(channel, data);
      repaired++;
    } else if (state === 'completed') {
      await job!.remove();
      await fanout.enqueuePage(channel, data);
      repaired++;
    } else if (state === 'failed') {
      await failRestOfPage(db, data, `page job failed: ${job?.failedReason ?? 'unknown reason'}`, nowIso());
      repaired++;
    }
  }
  if (repaired > 0) await settleIfDone(db, deliveryId, generation);
  return repaired;
}

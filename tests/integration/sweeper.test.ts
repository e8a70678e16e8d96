import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { queueName } from '../../src/pipeline/queues.js';
import { REDIS_URL } from '../helpers/env.js';
import { type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

// A job BullMQ fails without Herald's worker recording it (stalled more often than maxStalledCount) leaves its row
// pending. The sweeper settles such rows from the job's state; here the job is failed for real by a bare BullMQ
// worker on Herald's queue, standing in for the stalls.
describe('outbox sweeper: a job that BullMQ failed behind the worker’s back', () => {
  let h: TestHerald | undefined;
  afterEach(async () => {
    await h?.close();
  });

  it('records the failure, or the delivery when the update had been posted and only its edit was left', async () => {
    const channel = recordingChannel('chat');
    h = await startTestHerald({
      channels: [channel.definition],
      workers: false,
      sweeper: { intervalMs: 3_600_000, staleAfterMs: 0 },
    });
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Checkout errors', message: 'Investigating.' });
    const later = await h.api('POST', `/api/v1/incidents/${opened.body.incident.id}/updates`, {
      message: 'Found it.',
      status: 'identified',
    });
    // What the worker leaves on a row whose post went out before its edit of the first post failed.
    await h.herald.store.db
      .updateTable('deliveries')
      .set({ external_id: 'post-77', external_url: 'https://example.test/chat/77' })
      .where('update_id', '=', later.body.update.id)
      .execute();

    let failedJobs = 0;
    const stall = async () => {
      throw new UnrecoverableError('job stalled more than allowable limit');
    };
    const staller = new Worker(queueName('chat'), stall, {
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix: h.prefix,
    });
    staller.on('failed', () => failedJobs++);
    await expect.poll(() => failedJobs, { timeout: 10_000 }).toBe(2);
    await staller.close();

    const result = await h.herald.sweeper!.sweepOnce();
    expect(result).toMatchObject({ checked: 2, failed: 1, delivered: 1, enqueued: 0 });
    const row = async (updateId: string) =>
      (await h!.api('GET', `/api/v1/updates/${updateId}/deliveries`)).body.channels[0];
    expect(await row(opened.body.update.id)).toMatchObject({
      state: 'failed',
      error: 'job stalled more than allowable limit',
    });
    expect(await row(later.body.update.id)).toMatchObject({
      state: 'delivered',
      externalId: 'post-77',
      error:
        "posted, but the incident's first post still shows an earlier status: job stalled more than allowable limit",
    });
    expect(channel.sent).toHaveLength(0);
  });
});

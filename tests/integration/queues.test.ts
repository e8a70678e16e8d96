import { afterAll, describe, expect, it } from 'vitest';
import { DeliveryQueues, jobIdFor, producerConnection } from '../../src/pipeline/queues.js';
import { REDIS_URL, dropRedisPrefix, uniqueName } from '../helpers/env.js';
import { PrivateRedis } from '../helpers/redis-server.js';

const prefix = uniqueName('hqueues');
const connection = producerConnection(REDIS_URL);
const capabilities = new Map(['x', 'slack', 'email'].map((name) => [name, { threads: false, audience: false }]));
const queues = new DeliveryQueues(connection, prefix, capabilities);
afterAll(async () => {
  await queues.close();
  connection.disconnect();
  await dropRedisPrefix(prefix);
});

const jobsIn = async (channel: string) =>
  (await queues.queue(channel).getJobs(['waiting', 'delayed', 'active'])).map((j) => j.id);

describe('DeliveryQueues', () => {
  it("enqueues an update's deliveries, one job per row, and enqueueing them again adds nothing", async () => {
    const deliveries = [
      { id: 'd1', generation: 0, channel: 'x' },
      { id: 'd2', generation: 0, channel: 'slack' },
      { id: 'd3', generation: 0, channel: 'email' },
    ];
    expect(await queues.enqueueAll(deliveries)).toEqual([]);
    expect(await queues.enqueueAll(deliveries)).toEqual([]);
    await queues.enqueue(deliveries[1]!); // the sweeper's path, for a row it finds with no job
    expect(await jobsIn('x')).toEqual([jobIdFor(deliveries[0]!)]);
    expect(await jobsIn('slack')).toEqual([jobIdFor(deliveries[1]!)]);
    expect(await jobsIn('email')).toEqual([jobIdFor(deliveries[2]!)]);
    const job = await queues.queue('x').getJob(jobIdFor(deliveries[0]!));
    expect(job?.data).toEqual({ deliveryId: 'd1', generation: 0 });
    expect(job?.opts.attempts).toBe(8);
    // A retried row (next generation) is a new job.
    expect(await queues.enqueueAll([{ id: 'd1', generation: 1, channel: 'x' }])).toEqual([]);
    expect((await jobsIn('x')).sort()).toEqual(['d1-g0', 'd1-g1']);
  });

  it('reports every delivery as not enqueued when the batch cannot go, for the sweeper to retry', async () => {
    const withUnknown = [
      { id: 'e1', generation: 0, channel: 'x' },
      { id: 'e2', generation: 0, channel: 'nowhere' },
    ];
    expect(await queues.enqueueAll(withUnknown)).toEqual(['e1', 'e2']);
    expect(await jobsIn('x')).not.toContain('e1-g0');
    const nothingThere = producerConnection('redis://127.0.0.1:1');
    nothingThere.on('error', () => undefined);
    const down = new DeliveryQueues(nothingThere, uniqueName('hdown'), capabilities);
    expect(await down.enqueueAll([{ id: 'f1', generation: 0, channel: 'x' }], 500)).toEqual(['f1']);
    await down.close();
    nothingThere.disconnect();
  });

  it("a recent answer from Redis stands for the publish's PING; without one, or without a connection, it asks", async () => {
    const redis = await PrivateRedis.start();
    const own = producerConnection(redis.url);
    own.on('error', () => undefined);
    const checked = new DeliveryQueues(own, uniqueName('hping'), capabilities);
    try {
      if (own.status !== 'ready') await new Promise((ready) => own.once('ready', ready));
      await checked.assertAvailable(); // answered just now
      // Redis stops answering (writes and PINGs wait while the clients are paused) but the socket stays up.
      await redis.command('CLIENT', 'PAUSE', 2000, 'ALL');
      await checked.assertAvailable({ answeredWithinMs: 1_000 });
      await expect(checked.assertAvailable({ timeoutMs: 300 })).rejects.toThrow(
        /queue unavailable: Redis did not answer PING/,
      );
      await new Promise((r) => setTimeout(r, 1_100));
      await expect(checked.assertAvailable({ timeoutMs: 300, answeredWithinMs: 1_000 })).rejects.toThrow(
        /did not answer PING/,
      );
      await redis.command('CLIENT', 'UNPAUSE');
      await checked.assertAvailable({ answeredWithinMs: 1_000 });
      // A recent answer does not hide a connection that is gone.
      await redis.stop();
      await new Promise((r) => setTimeout(r, 100));
      await expect(checked.assertAvailable({ answeredWithinMs: 60_000 })).rejects.toThrow(
        /queue unavailable: Redis connection is (reconnecting|connecting|close|end)/,
      );
    } finally {
      await checked.close();
      own.disconnect();
      await redis.stop();
    }
  });
});

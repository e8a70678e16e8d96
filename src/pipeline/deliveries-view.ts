import { InputError } from '../domain/errors.js';
import type { Delivery } from '../domain/types.js';
import type { Executor } from '../store/executor.js';
import { type RecipientState, listRecipientDeliveries } from '../store/deliveries-repo.js';

export interface ChannelDeliveryView {
  channel: string;
  state: Delivery['state'];
  total: number;
  delivered: number;
  failed: number;
  pending: number;
  attempts: number;
  externalUrl?: string;
  externalId?: string;
  error?: string;
  rateLimitedUntil?: string;
  deliveredAt?: string;
}

/** "Where did my update land": one line per channel, read from the delivery rows. */
export function deliveriesView(updateId: string, deliveries: Delivery[]) {
  return {
    updateId,
    channels: deliveries.map(
      (d): ChannelDeliveryView => ({
        channel: d.channel,
        state: d.state,
        total: d.total,
        delivered: d.delivered,
        failed: d.failed,
        pending: Math.max(0, d.total - d.delivered - d.failed),
        attempts: d.attempts,
        ...(d.externalUrl ? { externalUrl: d.externalUrl } : {}),
        ...(d.externalId ? { externalId: d.externalId } : {}),
        ...(d.error ? { error: d.error } : {}),
        ...(d.rateLimitedUntil && (d.state === 'pending' || d.state === 'delivering')
          ? { rateLimitedUntil: d.rateLimitedUntil }
          : {}),
        ...(d.deliveredAt ? { deliveredAt: d.deliveredAt } : {}),
      }),
    ),
  };
}

/**
 * "Where did my update land", per subscriber: one page of an update's recipients on its audience channels, and
 * `next`, the cursor of the page after it when there is one. `after` is an earlier page's `next` (400 otherwise).
 */
export async function recipientsView(
  db: Executor,
  updateId: string,
  query: { channel?: string; state?: RecipientState; limit: number; after?: string },
) {
  const { channel, state, limit, after } = query;
  const rows = await listRecipientDeliveries(db, updateId, {
    channel,
    state,
    after: after === undefined ? undefined : parseCursor(after),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    updateId,
    recipients: page.map((r) => ({
      channel: r.channel,
      subscriberId: r.subscriberId,
      address: r.address,
      state: r.state,
      attempts: r.attempts,
      ...(r.externalId ? { externalId: r.externalId } : {}),
      ...(r.error ? { error: r.error } : {}),
      updatedAt: r.updatedAt,
    })),
    ...(rows.length > limit && last
      ? { next: Buffer.from(JSON.stringify([last.channel, last.subscriberId])).toString('base64url') }
      : {}),
  };
}

function parseCursor(cursor: string): { channel: string; subscriberId: string } {
  try {
    const [channel, subscriberId] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof channel === 'string' && typeof subscriberId === 'string') return { channel, subscriberId };
  } catch {
    // falls through to the error below
  }
  throw InputError.field('after', "not a cursor from an earlier page's 'next'");
}

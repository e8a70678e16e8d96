import type { Delivery } from '../domain/types.js';

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
    channels: deliveries.map((d): ChannelDeliveryView => ({
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
      ...(d.rateLimitedUntil && d.state === 'pending' ? { rateLimitedUntil: d.rateLimitedUntil } : {}),
      ...(d.deliveredAt ? { deliveredAt: d.deliveredAt } : {}),
    })),
  };
}

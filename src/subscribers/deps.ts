import type { Herald } from '../app/herald.js';
import type { SubscriberDeps } from './service.js';

export const subscriberDeps = (herald: Herald): SubscriberDeps => ({
  db: herald.store.db,
  secret: herald.env.secret,
  publicUrl: herald.env.publicUrl,
  allowPrivateWebhooks: herald.env.allowPrivateWebhooks,
  channels: herald.channels,
  logger: herald.logger,
  confirmations: herald.confirmations,
});

import { Webhook } from 'standardwebhooks';
import type { AudienceChannel, Recipient, ChannelDefinition } from '../channel.js';
import { PermanentError } from '../errors.js';
import { type WebhookMessage, componentChangeBody, renderWebhook, webhookView } from './payload.js';
import { STATUSPAGE_UNSUBSCRIBE_PLACEHOLDER, statuspageComponentChangeBody } from './statuspage-body.js';
import { appUrlOf } from '../../lib/app-url.js';
import { unsubscribeUrl } from '../../domain/link-tokens.js';
import { guardedPost, webhookStatusError } from './send.js';

export interface WebhooksChannelOptions {
  /** Channel name; default `webhooks`. */
  name?: string;
  /** HERALD_ALLOW_PRIVATE_WEBHOOKS=1: http and loopback/private targets (local testing only). */
  allowPrivate?: boolean;
  timeoutMs?: number;
  /** Retries of a failing endpoint: attempts with exponential backoff from backoffMs (default 15 from 5 s: about 23 h). */
  attempts?: number;
  backoffMs?: number;
  /** Consecutive failed attempts after which an endpoint is quarantined (default 10). */
  quarantineAfter?: number;
  sendConcurrency?: number;
  /**
   * Also send Herald-format subscribers a `component.updated` event per component an update changes, and one per
   * status change made outside an update (admin API, CLI, console) (default off: one event per update, as the
   * contract promises). Subscribers with `format: "statuspage"` always get Statuspage's `component_update` bodies,
   * as Statuspage sends them.
   */
  componentEvents?: boolean;
}

/** Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 with the subscriber's whsec_ secret). */
export function webhooks(options: WebhooksChannelOptions = {}): ChannelDefinition<AudienceChannel<WebhookMessage>> {
  const name = options.name ?? 'webhooks';
  const allowPrivate = options.allowPrivate ?? false;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function deliver(recipient: Recipient, id: string, body: string, signal?: AbortSignal) {
    if (!recipient.secret)
      throw new PermanentError('webhook subscriber has no signing secret; delete and add it again');
    const now = new Date();
    const signature = new Webhook(recipient.secret).sign(id, now, body);
    const { status } = await guardedPost(
      recipient.address,
      {
        'webhook-id': id,
        'webhook-timestamp': Math.floor(now.getTime() / 1000).toString(),
        'webhook-signature': signature,
      },
      body,
      { allowPrivate, timeoutMs, signal },
    );
    const error = webhookStatusError(status);
    if (error) throw error;
  }

  return {
    name,
    kind: 'webhooks',
    create(runtime) {
      // A Statuspage body's meta.unsubscribe is the recipient's own unsubscribe link.
      const forRecipient = (body: string, recipient: Recipient) =>
        body
          .split(JSON.stringify(STATUSPAGE_UNSUBSCRIBE_PLACEHOLDER))
          .join(JSON.stringify(unsubscribeUrl(appUrlOf(runtime), runtime.secret, recipient.subscriberId)));
      return {
        name,
        kind: 'webhooks',
        recipientKind: 'webhook',
        capabilities: { threads: false, audience: true, concurrency: 2, attempts: 10 },
        fanout: {
          sendConcurrency: options.sendConcurrency ?? 16,
          pageConcurrency: 2,
          attempts: options.attempts ?? 15,
          backoffMs: options.backoffMs ?? 5_000,
          quarantineAfter: options.quarantineAfter ?? 10,
        },
        render: renderWebhook,
        ...webhookView,
        async send() {
          throw new PermanentError(`'${name}' is an audience channel: the fan-out sends per recipient`);
        },
        async sendTo(message, recipient, target) {
          // The same ids on every retry: receivers deduplicate on webhook-id (a retry after a failed component
          // event sends the incident's event again, under its first id).
          const statuspage = recipient.format === 'statuspage';
          const incident = statuspage ? forRecipient(message.statuspage, recipient) : message.body;
          await deliver(recipient, `msg_${message.updateId}_${recipient.subscriberId}`, incident, target.signal);
          const components = statuspage || options.componentEvents ? message.components : [];
          for (const component of components) {
            const body = statuspage ? forRecipient(component.statuspage, recipient) : component.body;
            const id = `msg_${message.updateId}_${component.componentId}_${recipient.subscriberId}`;
            await deliver(recipient, id, body, target.signal);
          }
          return {};
        },
        async sendComponentChange(change, recipient, signal) {
          const statuspage = recipient.format === 'statuspage';
          if (!statuspage && !options.componentEvents) return 'skipped';
          const body = statuspage
            ? forRecipient(JSON.stringify(statuspageComponentChangeBody(change)), recipient)
            : componentChangeBody(change);
          // One id per (change, subscriber), the same on every retry: receivers deduplicate on webhook-id.
          await deliver(recipient, `msg_${change.id}_${recipient.subscriberId}`, body, signal);
          return 'sent';
        },
        async sendConfirmation(recipient, confirmUrl) {
          // Public sign-up of a webhook: the endpoint receives its secret and the link its owner must open.
          const body = JSON.stringify({
            type: 'subscription.confirm',
            timestamp: new Date().toISOString(),
            data: { confirmUrl, secret: recipient.secret },
          });
          await deliver(recipient, `msg_confirm_${recipient.subscriberId}`, body);
        },
      };
    },
  };
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Channel } from '../channels/channel.js';
import { InputError, StateConflictError } from '../domain/errors.js';
import { nowIso } from '../domain/ids.js';
import { describeIssues } from '../domain/schemas.js';
import type { SubscriberKind, WebhookFormat } from '../domain/types.js';
import type { Logger } from '../runtime/logger.js';
import { listComponents, unknownComponentIds } from '../store/components-repo.js';
import type { Executor } from '../store/executor.js';
import { isUniqueViolation } from '../store/db.js';
import {
  claimConfirmationResend,
  clearConfirmationRequest,
  deleteSubscriber,
  findSubscriber,
  findSubscriberById,
  insertSubscriber,
  insertSubscriberUnlessPresent,
  markSubscriberConfirmed,
  toSubscriber,
} from '../store/subscribers-repo.js';
import { UnsafeUrlError, validateWebhookUrl } from '../lib/ssrf.js';
import { addSuppression, isSuppressed, removeSuppression, suppressedAmong } from './suppression.js';
import { type ConfirmationQueue, confirmationChannel } from './confirmations.js';
import { verifyToken, type TokenCheck } from '../domain/link-tokens.js';

export interface SubscriberDeps {
  db: Executor;
  secret: string;
  appUrl: string;
  allowPrivateWebhooks: boolean;
  channels: ReadonlyArray<Channel>;
  logger: Logger;
  confirmations: Pick<ConfirmationQueue, 'enqueue'>;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const componentId = z.string().min(1).max(64);

/** The public sign-up form/JSON. `website` is the honeypot: people leave it empty, form-filling bots do not. */
export const publicSubscribeSchema = z
  .strictObject({
    email: z.email({ message: 'must be an email address such as ops@example.com' }).max(254).optional(),
    phone: z
      .string()
      .trim()
      .regex(E164, 'must be an E.164 number such as +14155550100 (a +, the country code, no spaces)')
      .optional(),
    webhookUrl: z.string().trim().max(2000, 'must be at most 2000 characters').optional(),
    components: z.array(componentId).max(200).optional(),
    /** Whole component groups, by name (the form's "All of …" boxes): their components are added to `components`. */
    groups: z.array(z.string().min(1).max(200)).max(200).optional(),
    website: z.string().optional(),
  })
  .refine((s) => [s.email, s.phone, s.webhookUrl].filter((v) => v !== undefined && v !== '').length === 1, {
    message: 'give exactly one of email, phone or webhookUrl',
    path: ['email'],
  });
export type PublicSubscribeInput = z.infer<typeof publicSubscribeSchema>;

export interface NormalisedSubscriber {
  kind: SubscriberKind;
  address: string;
  components: string[];
}

/** Kind, normalised address, known components, and a safe webhook URL — or an InputError naming the field. */
export async function normalise(
  deps: Pick<SubscriberDeps, 'db' | 'allowPrivateWebhooks'>,
  input: { email?: string; phone?: string; webhookUrl?: string; components?: string[] },
): Promise<NormalisedSubscriber> {
  const components = [...new Set(input.components ?? [])];
  const unknown = await unknownComponentIds(deps.db, components);
  if (unknown.length > 0) {
    throw new InputError(
      unknown.map((c) => ({
        field: 'components',
        problem: `no component with id '${c}'; list them with GET /api/v2/components.json`,
      })),
    );
  }
  if (input.email) return { kind: 'email', address: input.email.trim().toLowerCase(), components };
  if (input.phone) return { kind: 'sms', address: input.phone.trim(), components };
  try {
    const url = await validateWebhookUrl(input.webhookUrl!, { allowPrivate: deps.allowPrivateWebhooks });
    return { kind: 'webhook', address: url.toString(), components };
  } catch (error) {
    if (error instanceof UnsafeUrlError) throw InputError.field('webhookUrl', error.message);
    throw error;
  }
}

const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** Admin add (API/CLI): `confirmed: true` skips the opt-in. A suppressed address is refused (409). */
export async function adminCreateSubscriber(
  deps: SubscriberDeps,
  input: {
    email?: string;
    phone?: string;
    webhookUrl?: string;
    components?: string[];
    confirmed?: boolean;
    format?: WebhookFormat;
  },
) {
  const { kind, address, components } = await normalise(deps, input);
  if (await isSuppressed(deps.db, deps.secret, kind, address)) {
    throw new StateConflictError(
      `this ${kind === 'sms' ? 'phone number' : kind === 'webhook' ? 'webhook URL' : 'address'} unsubscribed or bounced earlier and is on the suppression list; its owner can sign up again at /subscribe`,
    );
  }
  const secret = kind === 'webhook' ? newWebhookSecret() : null;
  try {
    const confirm = !input.confirmed && canConfirm(deps, kind);
    const row = await insertSubscriber(
      deps.db,
      {
        kind,
        address,
        components,
        confirmed: input.confirmed ?? false,
        secret,
        confirmationRequested: confirm,
        format: input.format,
      },
      nowIso(),
    );
    if (confirm) void queueConfirmation(deps, row.id, row.confirmation_sent_at!);
    return { ...toSubscriber(row), ...(secret ? { secret } : {}) };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const existing = await findSubscriber(deps.db, kind, address);
    throw new StateConflictError(
      `a ${kind} subscriber for this address exists already (id ${existing?.id ?? 'unknown'})`,
    );
  }
}

export const importRowSchema = z.strictObject({
  email: z.email({ message: 'must be an email address such as ops@example.com' }).max(254).optional(),
  phone: z.string().regex(E164, 'must be an E.164 number such as +14155550100').optional(),
  webhookUrl: z.string().max(2000).optional(),
  components: z.array(componentId).optional(),
});
export const importSchema = z.strictObject({
  subscribers: z
    .array(z.unknown())
    .min(1, 'must hold at least one subscriber')
    .max(1000, 'must hold at most 1000 subscribers per request; send batches'),
  confirmed: z.boolean().optional(),
});

export interface ImportResult {
  created: number;
  existing: number;
  suppressed: number;
  invalid: Array<{ index: number; field: string; problem: string }>;
}

/**
 * Bulk admin import: invalid rows are reported by index and skipped; addresses already there or on the
 * suppression list are skipped and counted. Webhook rows get a secret, which an import does not return:
 * add webhooks one by one to see theirs.
 */
export async function importSubscribers(deps: SubscriberDeps, body: unknown): Promise<ImportResult> {
  const parsed = importSchema.safeParse(body);
  if (!parsed.success) throw new InputError(describeIssues(parsed.error).details);
  const { subscribers, confirmed = false } = parsed.data;
  const result: ImportResult = { created: 0, existing: 0, suppressed: 0, invalid: [] };
  const valid: Array<NormalisedSubscriber & { index: number }> = [];
  for (const [index, raw] of subscribers.entries()) {
    const row = importRowSchema.safeParse(raw);
    const given = row.success ? [row.data.email, row.data.phone, row.data.webhookUrl].filter(Boolean).length : 0;
    if (!row.success) {
      for (const d of describeIssues(row.error).details) result.invalid.push({ index, ...d });
      continue;
    }
    if (given !== 1) {
      result.invalid.push({ index, field: 'email', problem: 'give exactly one of email, phone or webhookUrl' });
      continue;
    }
    try {
      valid.push({ index, ...(await normalise(deps, row.data)) });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      for (const d of error.details) result.invalid.push({ index, ...d });
    }
  }
  const now = nowIso();
  for (const kind of ['email', 'sms', 'webhook'] as const) {
    const ofKind = valid.filter((v) => v.kind === kind);
    const suppressed = await suppressedAmong(
      deps.db,
      deps.secret,
      kind,
      ofKind.map((v) => v.address),
    );
    const seen = new Set<string>();
    for (const v of ofKind) {
      if (suppressed.has(v.address)) {
        result.suppressed++;
        continue;
      }
      if (seen.has(v.address)) {
        result.existing++;
        continue;
      }
      seen.add(v.address);
      const secret = kind === 'webhook' ? newWebhookSecret() : null;
      const input = { kind, address: v.address, components: v.components, confirmed, secret };
      if (await insertSubscriberUnlessPresent(deps.db, input, now)) result.created++;
      else result.existing++;
    }
  }
  return result;
}

export function canConfirm(deps: Pick<SubscriberDeps, 'channels'>, kind: SubscriberKind): boolean {
  return confirmationChannel(deps.channels, kind) !== undefined;
}

/**
 * Queues the opt-in message (see ./confirmations.ts); the answer to the sign-up never waits for, or reveals,
 * the provider's answer. `requestedAt` is the confirmation_sent_at just stored. When the queue cannot take the
 * job (Redis away), the mark is cleared, so signing up again sends at once instead of after the resend window.
 */
async function queueConfirmation(deps: SubscriberDeps, subscriberId: string, requestedAt: string): Promise<void> {
  try {
    await deps.confirmations.enqueue({ subscriberId, requestedAt });
  } catch (error) {
    deps.logger.warn(
      { subscriberId, err: (error as Error).message },
      'could not queue the confirmation message; the subscriber can sign up again',
    );
    await clearConfirmationRequest(deps.db, subscriberId, requestedAt).catch(() => undefined);
  }
}

export interface SignupOptions {
  /** At most one confirmation message per address per this many ms. */
  resendAfterMs: number;
}

/**
 * Public sign-up. The caller answers the same 202 whatever happens here (new, pending, confirmed,
 * suppressed address), so nobody learns who subscribes. Only malformed input is an error.
 */
export async function publicSubscribe(
  deps: SubscriberDeps,
  input: PublicSubscribeInput,
  options: SignupOptions,
): Promise<'created' | 'resent' | 'unchanged'> {
  // A kind that is not offered is refused before anything else is looked at (no DNS look-up for a webhook URL).
  const asked: SubscriberKind = input.email ? 'email' : input.phone ? 'sms' : 'webhook';
  if (!canConfirm(deps, asked)) throw notOffered(asked);
  const withGroups = { ...input, components: await expandGroups(deps.db, input.components, input.groups) };
  const { kind, address, components } = await normalise(deps, withGroups);
  const existing = await findSubscriber(deps.db, kind, address);
  if (!existing) {
    const secret = kind === 'webhook' ? newWebhookSecret() : null;
    try {
      const row = await insertSubscriber(
        deps.db,
        { kind, address, components, confirmed: false, secret, confirmationRequested: true },
        nowIso(),
      );
      void queueConfirmation(deps, row.id, row.confirmation_sent_at!);
      return 'created';
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return 'unchanged';
    }
  }
  if (existing.confirmed_at !== null) return 'unchanged';
  const last = existing.confirmation_sent_at ? Date.parse(existing.confirmation_sent_at) : 0;
  if (Date.now() - last < options.resendAfterMs) return 'unchanged';
  // Claim the resend atomically: two sign-ups racing send one message.
  const requestedAt = nowIso();
  const claim = { id: existing.id, previous: existing.confirmation_sent_at, components, now: requestedAt };
  if (!(await claimConfirmationResend(deps.db, claim))) return 'unchanged';
  void queueConfirmation(deps, existing.id, requestedAt);
  return 'resent';
}

/** The refusal of a kind of subscription whose channel is not configured, on the field that asked for it. */
export function notOffered(kind: SubscriberKind): InputError {
  return InputError.field(
    kind === 'sms' ? 'phone' : kind === 'webhook' ? 'webhookUrl' : 'email',
    `${kind === 'sms' ? 'SMS' : kind} subscriptions are not enabled on this status page`,
  );
}

/** The ids ticked plus every component of each group named; an unknown group is an InputError naming it. */
async function expandGroups(db: Executor, ids: string[] = [], groups: string[] = []): Promise<string[]> {
  if (groups.length === 0) return ids;
  const all = await listComponents(db);
  const expanded = [...ids];
  for (const group of new Set(groups)) {
    const members = all.filter((c) => c.group === group);
    if (members.length === 0)
      throw InputError.field('groups', `no component group named '${group}'; reload the page and choose again`);
    expanded.push(...members.map((c) => c.id));
  }
  return [...new Set(expanded)];
}

export type LinkOutcome = { ok: true; already?: boolean } | { ok: false; problem: string };

function tokenProblem(check: Extract<TokenCheck, { ok: false }>, what: string): string {
  if (check.reason === 'expired') return `this ${what} link has expired; sign up again to get a new one`;
  return `this ${what} link is not valid; copy the whole link from the message, or sign up again`;
}

export async function confirmSubscription(deps: SubscriberDeps, token: unknown): Promise<LinkOutcome> {
  const check = verifyToken(deps.secret, 'confirm', token);
  if (!check.ok) return { ok: false, problem: tokenProblem(check, 'confirmation') };
  const row = await findSubscriberById(deps.db, check.subscriberId);
  if (!row) return { ok: false, problem: 'this subscription no longer exists; sign up again' };
  if (row.confirmed_at !== null) return { ok: true, already: true };
  await markSubscriberConfirmed(deps.db, row.id, nowIso());
  // The owner proved the address again: it leaves the suppression list.
  await removeSuppression(deps.db, deps.secret, row.kind, row.address);
  return { ok: true };
}

/** Checks an unsubscribe token without acting on it (the GET page). */
export function checkUnsubscribeToken(deps: Pick<SubscriberDeps, 'secret'>, token: unknown): LinkOutcome {
  const check = verifyToken(deps.secret, 'unsubscribe', token);
  return check.ok ? { ok: true } : { ok: false, problem: tokenProblem(check, 'unsubscribe') };
}

/** Deletes the subscriber and keeps only a hash of the address on the suppression list. Idempotent. */
export async function unsubscribe(deps: SubscriberDeps, token: unknown): Promise<LinkOutcome> {
  const check = verifyToken(deps.secret, 'unsubscribe', token);
  if (!check.ok) return { ok: false, problem: tokenProblem(check, 'unsubscribe') };
  const removed = await removeSubscriber(deps, check.subscriberId, 'unsubscribed');
  return { ok: true, already: !removed };
}

export async function removeSubscriber(
  deps: Pick<SubscriberDeps, 'db' | 'secret'>,
  subscriberId: string,
  reason: string,
): Promise<boolean> {
  const row = await findSubscriberById(deps.db, subscriberId);
  if (!row) return false;
  await addSuppression(deps.db, deps.secret, row.kind, row.address, reason, nowIso());
  await deleteSubscriber(deps.db, row.id);
  return true;
}

/** An inbound STOP (SMS): the number is unsubscribed and suppressed. */
export async function unsubscribeAddress(
  deps: Pick<SubscriberDeps, 'db' | 'secret'>,
  kind: SubscriberKind,
  address: string,
  reason: string,
): Promise<boolean> {
  const row = await findSubscriber(deps.db, kind, address);
  if (!row) {
    await addSuppression(deps.db, deps.secret, kind, address, reason, nowIso());
    return false;
  }
  return removeSubscriber(deps, row.id, reason);
}

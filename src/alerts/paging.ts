import { type AudienceChannel, type Channel, isAudienceChannel } from '../channels/channel.js';
import { callWebhook } from '../channels/http.js';
import type { Draft } from '../domain/drafts.js';
import { classifyFailure } from '../pipeline/failure.js';
import { COMPONENT_STATUS_LABEL, IMPACT_LABEL, formatUtc } from '../render/labels.js';
import type { Logger } from '../runtime/logger.js';
import { listUsersByName } from '../store/console-users-repo.js';
import { claimDraftPage, getDraft, releaseDraftPage } from '../store/drafts-repo.js';
import type { Executor } from '../store/executor.js';

export interface PagerDeps {
  db: Executor;
  channels: ReadonlyArray<Channel>;
  /** HERALD_REMINDER_WEBHOOK_URL: the commanders' Slack-compatible incoming webhook. */
  webhookUrl: string | undefined;
  /** Where the console answers: the page's link. */
  consoleBaseUrl: string;
  siteName: string;
  logger: Logger;
  timeoutMs?: number;
}

export type PageOutcome = { outcome: 'paged' | 'noop'; reason?: string; sent?: number };

const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The channel that sends notices to staff email addresses (the email channel says it can). */
const staffMailer = (channels: ReadonlyArray<Channel>): AudienceChannel | undefined =>
  channels.filter(isAudienceChannel).find((c) => c.recipientKind === 'email' && c.sendStaffNotice !== undefined);

export const draftLink = (base: string, id: string) => `${base.replace(/\/+$/, '')}/console/drafts/${id}`;

/** What a commander reads about a draft: what it says, the link, and what happens if nobody acts. */
export function pageLines(
  draft: Draft,
  base: string,
  now = new Date(),
): { subject: string; lines: string[]; link: string } {
  const components =
    draft.components.map((c) => `${c.name} (${COMPONENT_STATUS_LABEL[c.status] ?? c.status})`).join(', ') ||
    'no component matched';
  const link = draftLink(base, draft.id);
  const next = draft.autoPublishAt
    ? Date.parse(draft.autoPublishAt) <= now.getTime()
      ? 'A holding statement is going out now, as no one has published or dismissed the draft.'
      : `If no one publishes or dismisses it, a holding statement goes out at ${formatUtc(draft.autoPublishAt)} (in ${Math.max(1, Math.round((Date.parse(draft.autoPublishAt) - now.getTime()) / 60_000))} min).`
    : 'Nothing is public until a commander publishes it.';
  return {
    subject: `Draft incident from ${draft.source}: ${draft.title}`,
    link,
    lines: [
      `New draft incident from ${draft.source}: "${draft.title}"`,
      `Components: ${components}; impact ${IMPACT_LABEL[draft.impact] ?? draft.impact}; ${draft.firing} alert${draft.firing === 1 ? '' : 's'} firing.`,
      `Review, publish or dismiss: ${link}`,
      next,
    ],
  };
}

/**
 * Pages the commanders about a new draft, once: the draft's paged_at is claimed before anything is sent. The chat
 * webhook gets the text; commander users whose username is an email address get it by email through the email
 * channel. When nothing went out and the failure is worth another try, the claim is given back and the job retried.
 */
export class Pager {
  constructor(private readonly deps: PagerDeps) {}

  async page(draftId: string, lastAttempt: boolean): Promise<PageOutcome> {
    const { db } = this.deps;
    const draft = await getDraft(db, draftId);
    if (!draft) return { outcome: 'noop', reason: 'no such draft' };
    if (draft.state !== 'draft')
      return { outcome: 'noop', reason: `the draft was ${draft.state} before anyone was paged` };
    if (!(await claimDraftPage(db, draftId, new Date().toISOString())))
      return { outcome: 'noop', reason: 'paged already' };
    const text = pageLines(draft, this.deps.consoleBaseUrl);
    const errors: unknown[] = [];
    let sent = 0;
    if (this.deps.webhookUrl) {
      try {
        await postToCommandersChat(
          this.deps.webhookUrl,
          this.deps.timeoutMs,
          text.lines.map((l, i) => (i === 0 ? `*${slackEscape(l)}*` : slackEscape(l))).join('\n'),
        );
        sent++;
      } catch (error) {
        errors.push(error);
      }
    }
    for (const address of await this.commanderAddresses()) {
      try {
        await this.email(address, text);
        sent++;
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      const failure = classifyFailure(errors[0], { made: 0, max: 2 }, { retryUnknownOutcome: false });
      this.deps.logger.warn({ draftId, err: failure.message, sent }, 'commanders not all paged');
      if (sent === 0 && failure.action !== 'fail' && !lastAttempt) {
        await releaseDraftPage(db, draftId);
        throw new Error(`page not sent: ${failure.message}`);
      }
    }
    return { outcome: 'paged', sent };
  }

  private async commanderAddresses(): Promise<Array<{ id: string; address: string }>> {
    if (!staffMailer(this.deps.channels)) return [];
    const users = await listUsersByName(this.deps.db);
    return users
      .filter((u) => u.role === 'commander' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(u.username))
      .map((u) => ({ id: u.id, address: u.username }));
  }

  private async email(to: { address: string }, text: ReturnType<typeof pageLines>) {
    await staffMailer(this.deps.channels)!.sendStaffNotice!(to.address, {
      subject: text.subject,
      lines: text.lines,
      link: text.link,
    });
  }
}

/**
 * POSTs `{text}` to the commanders' chat (HERALD_REMINDER_WEBHOOK_URL: Slack-compatible incoming webhook), for
 * pages and cadence reminders alike. Errors never carry the URL (its path is the secret).
 */
export async function postToCommandersChat(url: string, timeoutMs: number | undefined, text: string): Promise<void> {
  await callWebhook({
    url,
    body: { text },
    timeoutMs: timeoutMs ?? 10_000,
    what: "the commanders' chat webhook",
    fix: {
      auth: 'check HERALD_REMINDER_WEBHOOK_URL',
      gone: 'check HERALD_REMINDER_WEBHOOK_URL (the incoming webhook may have been removed)',
      rejected: 'check HERALD_REMINDER_WEBHOOK_URL',
    },
  });
}

import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';
import type { PostRef, SubscriberKind } from '../domain/types.js';
import type { Templates } from '../render/templates.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../store/store.js';

export type { PostRef };

/** What a channel gets when Herald builds it: shared services, never process.env. */
export interface ChannelRuntime {
  store: Store;
  templates: Templates;
  logger: Logger;
  /** The status page's address: links in messages. */
  publicUrl: string;
  /** Herald's own address: sign-up, confirm and unsubscribe links. */
  appUrl: string;
  siteName: string;
  /** The brand from channels.config.ts `site` (paths to files, an accent colour). */
  site?: { logo?: string; favicon?: string; accentColor?: string };
  /** Key for HMAC tokens in links. */
  secret: string;
  dataDir: string;
  /**
   * The kinds of subscription the public sign-up offers (see signupKinds), known once every channel is built:
   * call it when rendering, not while the channel is being created. Absent: none is offered.
   */
  signupKinds?: () => ReadonlyArray<SubscriberKind>;
}

/** One entry of channels.config.ts: a named channel of a kind, built when Herald starts. */
export interface ChannelDefinition<C extends Channel = Channel> {
  name: string;
  kind: string;
  create(runtime: ChannelRuntime): C;
}

/** What a channel can do, as data. The core enforces it (queue rate limit, concurrency, threading). */
export interface ChannelCapabilities {
  /** Longest message the platform takes, in the platform's own unit (documented by the channel). */
  maxLength?: number;
  /** Later updates of an incident continue the first post (reply, thread, topic). */
  threads: boolean;
  /** Fans out to subscribers (email, SMS, webhooks) rather than posting once. */
  audience: boolean;
  /** Provider rate limit the queue enforces for this channel. */
  rate?: { max: number; perMs: number };
  /** Jobs of this channel run at once per worker process. */
  concurrency?: number;
  /** Attempts before a retryable failure becomes final. */
  attempts?: number;
}

/** Everything a template may show about one update. Built once per job from the database. */
export interface UpdateContext {
  site: { name: string; url: string };
  incident: {
    id: string;
    title: string;
    status: IncidentStatus;
    impact: IncidentImpact;
    startedAt: string;
    resolvedAt: string | null;
    url: string;
    /** `/i/<code>` on Herald's address, redirecting to `url`: for channels that count every character (SMS). */
    shortUrl: string;
    /** Set when this is a scheduled maintenance's notice thread: `url` then points at the maintenance on the page. */
    maintenanceId?: string;
    /** `previousStatus`: as the update before recorded it (operational when it was not affected then). */
    components: Array<{ id: string; name: string; status: ComponentStatus; previousStatus?: ComponentStatus }>;
  };
  update: {
    id: string;
    status: IncidentStatus;
    /** Markdown as the commander wrote it. */
    message: string;
    createdAt: string;
    /** 1 for the update that opened the incident. */
    number: number;
    isFirst: boolean;
    /** The commander's own text for social posts (X, Mastodon, Bluesky), posted instead of the message. */
    socialText?: string;
  };
}

export interface SendTarget {
  /** Stable for the delivery across retries: send it as the provider's idempotency key where there is one. */
  idempotencyKey: string;
  attempt: number;
  /** Set for channels that thread, once an earlier update of the incident was posted on this channel. */
  thread?: { first: PostRef; previous: PostRef };
  signal: AbortSignal;
}

export interface SentRef {
  externalId?: string;
  externalUrl?: string;
  meta?: Record<string, string>;
  /** Nothing was sent, on purpose (e.g. nobody to send to): the delivery is recorded `skipped` with this reason. */
  skipped?: string;
}

/**
 * One part of a rendered message as a person would see it: a post, an SMS, an email's subject or body.
 * `text` is shown as it is, or as code, or rendered from Markdown (as the platform formats it), with `cut` saying
 * where it was shortened; `html` is a whole
 * document the console shows in a sandboxed frame (no script, no network), about `height` CSS pixels tall (the
 * frame cannot size itself to what it shows).
 */
export type PreviewPart =
  | {
      label: string;
      text: string;
      format?: 'plain' | 'code' | 'markdown';
      /** Where the channel cut the message to fit, and what it left out (see render/cut-note.ts). */
      cut?: string;
    }
  | {
      label: string;
      html: string;
      /**
       * The frame's height in CSS px (a sandboxed frame cannot size itself), or that height for a frame so many CSS
       * px wide: the console asks for the widths it may show the frame at.
       */
      height?: number | ((frameWidth: number) => number);
    };

/** A rendered message measured in the channel's own unit, against its limit when it has one. */
export interface Measure {
  /** What is counted, e.g. "Weighted length", "SMS segments", "Longest block". */
  label: string;
  value: number;
  limit?: number;
  /** Plural unit of value and limit: "weighted characters", "segments", "bytes". */
  unit: string;
  /** How the count came about, when that helps: "UCS-2, 117 code units". */
  detail?: string;
  /** Worth telling the commander even within the limit (the characters that turn an SMS into UCS-2). */
  advice?: string;
}

export interface ChannelTemplates {
  /** Its folder under templates/: the console lists, previews and saves the files in it. */
  folder: string;
  /** One template's output in the channel's units, for refusing a template that alone exceeds a limit. */
  measureText?(text: string): Measure[];
}

/** How the console shows and counts a channel's rendered message: the describing part of a Channel. */
export type MessageView<Rendered> = Pick<Channel<Rendered>, 'preview' | 'measure' | 'templates'>;

export interface Channel<Rendered = unknown> {
  /** Unique name in the config, e.g. `slack` or `slack-community`. */
  readonly name: string;
  readonly kind: string;
  readonly capabilities: ChannelCapabilities;
  /** Pure: no I/O. The console preview calls the same function the worker does. */
  render(ctx: UpdateContext): Rendered;
  /** Pure: what a person would see of a rendered message (posts, email parts, the SMS), for the console. */
  preview(message: Rendered): PreviewPart[];
  /**
   * Pure: the rendered message against the channel's limits, counted by the same counter its rendering fits with
   * (X's weighted length, SMS segments, …). Empty when the channel has nothing to count.
   */
  measure(message: Rendered): Measure[];
  /** The channel's templates, when it renders from any (a channel that renders in code has none). */
  readonly templates?: ChannelTemplates;
  /** Throws only the typed errors of ./errors.ts. */
  send(message: Rendered, target: SendTarget): Promise<SentRef>;
  /**
   * Channels that post the commander's own `socialText` (X, Mastodon, Bluesky): why that text cannot be posted
   * as it is, with the incident's link after it (too long by the platform's count), or null. The publish calls
   * it before storing anything, so a text that does not fit is refused rather than cut.
   */
  checkSocialText?(text: string, incidentUrl: string): string | null;
  /**
   * Threading channels that show the incident's current state on its first post (Slack, Discord and Discourse edit
   * it) do that here. The worker calls it after the update's own post is out, so followers see the update first,
   * and records that post before a failed edit is retried: a retry edits again but never posts again.
   */
  editFirstPost?(message: Rendered, first: PostRef, target: SendTarget): Promise<void>;
  /**
   * The look-up before posting again, a capability the engine drives: called only when the previous attempt's
   * outcome is unknown (it died mid-send, or its request went out and no answer came: OutcomeUnknownError), never
   * after a definite refusal. Returns the earlier post, or null if it never arrived. Throws typed errors; a look-up
   * the platform refuses (401/403/404, X's Free level) or cannot answer never fails the delivery: the engine posts.
   */
  reconcile?(message: Rendered, target: SendTarget): Promise<SentRef | null>;
  /**
   * For channels that show current state (the status page): components or maintenances changed without an
   * incident update. `full` when every page may show the change (a component renamed or regrouped).
   */
  refresh?(change: StateChange): Promise<void>;
  close?(): Promise<void>;
}

export interface StateChange {
  /** `incident`: an update was published without this channel among its `channels`. */
  reason: 'components' | 'maintenances' | 'incident';
  full: boolean;
  /** Incidents whose own pages changed. */
  incidentIds?: string[];
}

// ---- Audience channels (email, SMS, webhooks): one update, one message per matching subscriber. ----

/** One subscriber as an audience channel sees it. `address` is the normalised email, E.164 number or URL. */
export interface Recipient {
  subscriberId: string;
  kind: 'email' | 'sms' | 'webhook';
  address: string;
  /** Webhook signing secret (`whsec_…`); null for other kinds. */
  secret: string | null;
  /** Webhooks: Statuspage's webhook body instead of Herald's own. */
  format?: 'herald' | 'statuspage';
}

export interface RecipientTarget {
  /** Stable per (delivery, recipient) across retries and crashes. */
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
}

/**
 * An audience channel renders once per update and personalises per recipient in `sendTo` (its unsubscribe
 * link from runtime.secret, a signature). The core fans out: pages of recipients, one row per (update, channel, recipient).
 * `sendTo` throws only the typed errors of ./errors.ts; a PermanentError fails that recipient only.
 */
export interface AudienceChannel<Rendered = unknown> extends Channel<Rendered> {
  readonly recipientKind: Recipient['kind'];
  sendTo(message: Rendered, recipient: Recipient, target: RecipientTarget): Promise<SentRef>;
  /** Fan-out tuning; defaults in src/pipeline/fanout/runtime.ts. */
  readonly fanout?: {
    /** Sends in flight per page job. */
    sendConcurrency?: number;
    /** Page jobs at once per worker process. */
    pageConcurrency?: number;
    /** Attempts of a page job whose recipients failed retryably, and the first backoff delay. */
    attempts?: number;
    backoffMs?: number;
    /** Consecutive failed attempts after which a subscriber is quarantined (webhooks). */
    quarantineAfter?: number;
  };
  /** Sends a double opt-in confirmation link (email, SMS, webhooks). Throws typed errors. */
  sendConfirmation?(recipient: Recipient, confirmUrl: string): Promise<void>;
  /**
   * Sends a message to Herald's own people rather than to a subscriber (the commanders' page about a draft from
   * alerts): no unsubscribe link, no list headers. `address` is of the channel's `recipientKind`. Throws typed errors.
   */
  sendStaffNotice?(address: string, notice: StaffNotice): Promise<void>;
  /**
   * Channels that tell their subscribers of a component's status changed outside an incident update (webhooks):
   * sends `change` to one recipient, under an id stable across retries; 'skipped' when this recipient takes no
   * such events. Throws typed errors.
   */
  sendComponentChange?(
    change: ComponentChange,
    recipient: Recipient,
    signal?: AbortSignal,
  ): Promise<'sent' | 'skipped'>;
}

/** Whether a channel sends component events (see AudienceChannel's sendComponentChange). */
export const sendsComponentEvents = (channel: { sendComponentChange?: unknown }): boolean =>
  typeof channel.sendComponentChange === 'function';

/** A component's status changed outside an incident update (the admin API, the CLI, the console). */
export interface ComponentChange {
  /** The change's id (its component_status_changes row). */
  id: string;
  site: { name: string; url: string };
  component: { id: string; name: string; status: ComponentStatus; previousStatus: ComponentStatus };
  at: string;
  /** Every component's status now, for the page's overall indicator. */
  components: ReadonlyArray<{ status: ComponentStatus }>;
}

/** A message to the commanders: a subject, lines of plain text, and the link they act on. */
export interface StaffNotice {
  subject: string;
  lines: string[];
  link: string;
}

export function isAudienceChannel(channel: Channel): channel is AudienceChannel {
  return channel.capabilities.audience && typeof (channel as Partial<AudienceChannel>).sendTo === 'function';
}

/** The kinds anyone may sign up for: those with an audience channel configured that sends the opt-in message. */
export const SIGNUP_KINDS: ReadonlyArray<SubscriberKind> = ['email', 'sms', 'webhook'];

export function signupKinds(channels: ReadonlyArray<Channel>): SubscriberKind[] {
  return SIGNUP_KINDS.filter((kind) =>
    channels.some((c) => isAudienceChannel(c) && c.recipientKind === kind && typeof c.sendConfirmation === 'function'),
  );
}

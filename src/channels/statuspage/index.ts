import { loadBrand } from '../../statuspage/brand.js';
import { join, resolve } from 'node:path';
import type { IncidentWithUpdates } from '../../domain/types.js';
import { type RebuildReport, type RebuildRequest, StatusSite } from '../../statuspage/build.js';
import type { StatusPageOptions } from '../../statuspage/options.js';
import type { Channel, ChannelDefinition, UpdateContext } from '../channel.js';
import { RetryableError } from '../errors.js';
import type { CatchUpReport } from '../../statuspage/build.js';
import type { TargetOutcome } from '../../statuspage/publishing.js';
import { incidentAsOf, statusPagePreview } from './preview.js';

export type { StatusPageOptions } from '../../statuspage/options.js';

export interface StatusPageMessage {
  incidentId: string;
  url: string;
  /** The incident as of this update, as its page and its card show it (for the console preview). */
  incident: IncidentWithUpdates;
  isFirst: boolean;
}

export interface StatusPageChannel extends Channel<StatusPageMessage> {
  readonly kind: 'statuspage';
  readonly site: StatusSite;
  rebuild(request?: RebuildRequest): Promise<RebuildReport>;
  /** The reconciler's round: brings the site and every target to the latest build (StatusSite.catchUp). */
  catchUp(): Promise<CatchUpReport>;
  /** How often the reconciler runs for this page. */
  readonly reconcileIntervalMs: number;
  /** The other ways to follow listed on subscribe.html (Herald's own sign-up pages list them too). */
  readonly follow: ReadonlyArray<{ label: string; url: string }>;
}

/** A target's part in a delivery, as its record shows it: files uploaded, kept, or behind since when. */
export function describeTarget(t: TargetOutcome): string {
  if (t.error !== undefined)
    return `${t.name}: behind since ${t.behindSince ?? 'now'} (retry after ${t.waitingUntil}): ${t.error}`;
  if (t.skipped) return `${t.name}: kept (${t.skipped})`;
  return `${t.name}: ${t.uploaded.length} uploaded, ${t.deleted.length} deleted`;
}

/** The public status page: a static site, Statuspage-compatible JSON and feeds, rebuilt on every update. */
export function statuspage(
  options: StatusPageOptions = {},
): ChannelDefinition<StatusPageChannel> & { statusPage: StatusPageOptions } {
  const name = options.name ?? 'statuspage';
  return {
    name,
    kind: 'statuspage',
    // Read without building the channel (no database): `herald statuspage emergency` finds the targets here.
    statusPage: options,
    create(runtime) {
      const site = new StatusSite({
        store: runtime.store,
        templates: runtime.templates,
        logger: runtime.logger,
        siteName: runtime.siteName,
        brand: loadBrand(runtime.site),
        publicUrl: runtime.publicUrl,
        appUrl: runtime.appUrl,
        signupKinds: runtime.signupKinds,
        dir: resolve(options.dir ?? join(runtime.dataDir, 'site')),
        channel: name,
        options,
      });
      const log = runtime.logger.child({ channel: name });
      const rebuild = async (request: RebuildRequest = {}) => {
        try {
          const report = await site.rebuild(request);
          log.debug(
            {
              full: report.full,
              changed: report.changed.length,
              buildMs: Math.round(report.buildMs),
              publishMs: Math.round(report.publishMs),
            },
            'status site rebuilt',
          );
          return report;
        } catch (error) {
          throw new RetryableError(`status site rebuild failed: ${(error as Error).message}`, { cause: error });
        }
      };
      return {
        name,
        kind: 'statuspage',
        site,
        // Several jobs at once: the site builds one at a time and coalesces the requests that wait (StatusSite).
        capabilities: { threads: false, audience: false, concurrency: 16, attempts: 8 },
        render: (ctx: UpdateContext): StatusPageMessage => ({
          incidentId: ctx.incident.id,
          url: ctx.incident.url,
          incident: incidentAsOf(ctx),
          isFirst: ctx.update.isFirst,
        }),
        preview: (message) =>
          statusPagePreview(
            site.renderer,
            { siteName: runtime.siteName, historyDays: options.historyDays ?? 90 },
            message.incident,
            message.isFirst,
          ),
        measure: () => [],
        templates: { folder: 'statuspage' },
        async send(message) {
          const report = await rebuild({ incidentIds: [message.incidentId] });
          return {
            externalId: message.incidentId,
            externalUrl: message.url,
            // Per target: files uploaded, "kept" when it already held a build of later data, or "behind since T":
            // a target that failed is the reconciler's to bring up to date, never a reason to fail the update.
            meta: {
              changed: String(report.changed.length),
              ...Object.fromEntries(report.targets.map((t) => [`target ${t.name}`, describeTarget(t)])),
            },
          };
        },
        async refresh(change) {
          await rebuild({ full: change.full, incidentIds: change.incidentIds });
        },
        rebuild,
        catchUp: () => site.catchUp(),
        close: () => site.close(),
        reconcileIntervalMs: options.publishing?.reconcileIntervalMs ?? 15_000,
        follow: options.follow ?? [],
      };
    },
  };
}

export const isStatusPageChannel = (channel: Channel): channel is StatusPageChannel =>
  channel.kind === 'statuspage' && typeof (channel as Partial<StatusPageChannel>).rebuild === 'function';

/**
 * Rebuilds the status site after a change that has no incident update: a component added, renamed or
 * regrouped (pass `{ full: true }` so incident pages show the new names), a maintenance created or advanced.
 * Resolves to null when no status page channel is configured. Throws RetryableError when the rebuild fails.
 */
export async function rebuildStatusSite(
  herald: { channels: ReadonlyArray<Channel> },
  request: RebuildRequest = {},
): Promise<RebuildReport | null> {
  const channels = herald.channels.filter(isStatusPageChannel);
  let last: RebuildReport | null = null;
  for (const channel of channels) last = await channel.rebuild(request);
  return last;
}

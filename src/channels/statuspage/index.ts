import { join, resolve } from 'node:path';
import type { IncidentWithUpdates } from '../../domain/types.js';
import { type RebuildReport, type RebuildRequest, StatusSite } from '../../statuspage/build.js';
import type { StatusPageOptions } from '../../statuspage/options.js';
import type { Channel, ChannelDefinition, UpdateContext } from '../channel.js';
import { RetryableError } from '../errors.js';
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
}

/** The public status page: a static site, Statuspage-compatible JSON and feeds, rebuilt on every update. */
export function statuspage(options: StatusPageOptions = {}): ChannelDefinition<StatusPageChannel> {
  const name = options.name ?? 'statuspage';
  return {
    name,
    kind: 'statuspage',
    create(runtime) {
      const site = new StatusSite({
        store: runtime.store,
        templates: runtime.templates,
        logger: runtime.logger,
        siteName: runtime.siteName,
        publicUrl: runtime.publicUrl,
        appUrl: runtime.appUrl,
        dir: resolve(options.dir ?? join(runtime.dataDir, 'site')),
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
            // Per target: files uploaded, or "kept" when it already held a build of later data.
            meta: {
              changed: String(report.changed.length),
              targets: report.targets.map((t) => `${t.name}:${t.skipped ? 'kept' : t.uploaded.length}`).join(','),
            },
          };
        },
        async refresh(change) {
          await rebuild({ full: change.full, incidentIds: change.incidentIds });
        },
        rebuild,
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

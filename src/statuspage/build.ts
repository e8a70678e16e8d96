// The status site: renders pages, JSON and feeds from the database, commits them atomically to the site
// directory and publishes the result to each target. Rebuilds after an update render only what it changed.
import { resolve } from 'node:path';
import type { IncidentWithUpdates, SubscriberKind } from '../domain/types.js';
import type { Templates } from '../render/templates.js';
import type { Logger } from '../runtime/logger.js';
import {
  allIncidentIds,
  incidentIdsInMonth,
  incidentStamps,
  incidentsWithUpdates,
  type StatusPageSnapshot,
  statusPageSnapshot,
} from '../store/status-page-reads.js';
import { latestDataChange } from '../store/statuspage-targets-repo.js';
import type { Store } from '../store/store.js';
import { ExternalGroups } from './external.js';
import { historyFeeds } from './feeds.js';
import { shortId, statuspageDocuments } from './json.js';
import { activeMaintenances, groupComponents, isOpen, overallStatus, upcomingMaintenances } from './model.js';
import type { StatusPageOptions } from './options.js';
import { localTimeScript, PAST_DAYS, PageRenderer, type PageSite, subscribeScript } from './pages.js';
import { COMPONENT_STATUS_LABEL, statusTitle } from '../render/labels.js';
import { componentBadge, indicatorBadge } from './badge.js';
import { type Brand, loadBrand } from './brand.js';
import { dataStamp, stampKey } from './stamps.js';
import { createPurger } from './purge.js';
import { DEFAULT_PUBLISH_TUNING, TargetPublisher, type TargetOutcome } from './publishing.js';
import { dailyUptime } from './uptime.js';
import { CALENDAR_KEEP_DAYS, maintenanceCalendar } from './ical.js';
import { EMBED_PAGE } from './security-headers.js';
import { createTarget } from './targets/index.js';
import { BUILD_NOTE, type BuildNote, type BuiltSite, type PublishTargetImpl } from './targets/target.js';
import { commitTree, currentVersion, hashOf, readManifest, readNote, type Manifest, withSiteLock } from './tree.js';

export interface StatusSiteDeps {
  store: Store;
  templates: Templates;
  logger: Logger;
  siteName: string;
  /** Logo, favicon and accent colour (loadBrand); default: Herald's green and a dot for a favicon. */
  brand?: Brand;
  /** Where the page lives: every link in pages, feeds and JSON. */
  publicUrl: string;
  /** Where Herald answers: the subscribe form posts there. Default: publicUrl. */
  appUrl?: string;
  /** The kinds of subscription subscribe.html offers (the configured audience channels); absent: none. */
  signupKinds?: () => ReadonlyArray<SubscriberKind>;
  /** Where the site is written; resolved against the working directory. */
  dir: string;
  /** The status page channel's name, which its targets' recorded state is kept under; default `statuspage`. */
  channel?: string;
  options?: StatusPageOptions;
}

export interface RebuildRequest {
  /** Incidents whose pages changed (an update was published); omitted with `full` unset: only shared pages. */
  incidentIds?: string[];
  /** Render every page (components renamed, templates changed, first build). */
  full?: boolean;
}

export interface RebuildReport {
  full: boolean;
  /** Files rendered by this build. */
  rendered: number;
  /** Files whose content changed. */
  changed: string[];
  buildMs: number;
  publishMs: number;
  /** Per target: what it took, or that it is behind (a target never fails the build). */
  targets: TargetOutcome[];
}

/** What the reconciler found and did (see StatusSite.catchUp). */
export interface CatchUpReport {
  /** Why the site itself was rebuilt: its data was behind the database, or its copies were due a republish. */
  rebuilt?: 'behind' | 'heartbeat';
  targets: Array<{ name: string; action: 'current' | 'published' | 'waiting' | 'failed'; error?: string }>;
}

/** A rebuild that follows another closely waits this many times as long as the other took, … */
const REBUILD_PAUSE_FACTOR = 9;
/** … but never longer than this. */
const REBUILD_PAUSE_MAX_MS = 2_000;

export class StatusSite {
  readonly dir: string;
  private readonly pages: PageRenderer;
  private readonly external: ExternalGroups;
  private readonly publisher: TargetPublisher;
  private readonly reconcile: { heartbeatMs: number; staleGraceMs: number };
  /** The latest data change the reconciler already rebuilt for (so a stamp the build never reaches is not looped). */
  private rebuiltFor = '';
  private readonly days: number;
  private readonly brand: Brand;
  private readonly recentLimit: number;
  private readonly now: () => Date;
  private queue: Promise<unknown> = Promise.resolve();
  /** The rebuild waiting for the running one to finish; later requests join it instead of queueing. */
  private next: { request: { full: boolean; incidentIds: Set<string> }; report: Promise<RebuildReport> } | undefined;
  /** When the last rebuild ended and how long it took (performance.now() ms). */
  private last = { endedAt: Number.NEGATIVE_INFINITY, tookMs: 0 };

  constructor(private readonly deps: StatusSiteDeps) {
    const options = deps.options ?? {};
    this.dir = resolve(deps.dir);
    this.days = options.historyDays ?? 90;
    this.recentLimit = options.recentIncidents ?? 50;
    this.now = options.now ?? (() => new Date());
    this.brand = deps.brand ?? loadBrand();
    this.pages = new PageRenderer(deps.templates, this.days, this.brand);
    this.external = new ExternalGroups(options.externalGroups ?? [], deps.logger);
    const publishing = options.publishing ?? {};
    this.reconcile = {
      heartbeatMs: publishing.heartbeatMs ?? 10 * 60_000,
      staleGraceMs: publishing.staleGraceMs ?? 10_000,
    };
    const targets = (options.targets ?? []).map((t, i) => createTarget(t, i));
    const purgers = new Map(
      targets.map((t, i) => [t.name, (options.targets?.[i]?.purge ?? []).map((p) => createPurger(p))] as const),
    );
    this.publisher = new TargetPublisher({
      store: deps.store,
      logger: deps.logger,
      channel: deps.channel ?? 'statuspage',
      targets,
      afterPublish: async (target, report, site) => {
        const paths = [...report.uploaded, ...report.deleted];
        for (const purge of purgers.get(target.name) ?? [])
          await purge({
            target: target.name,
            stamp: site.stamp,
            publishedAt: site.publishedAt,
            paths,
            publicUrl: deps.publicUrl,
          });
      },
      tuning: {
        targetTimeoutMs: publishing.targetTimeoutMs ?? DEFAULT_PUBLISH_TUNING.targetTimeoutMs,
        probeTimeoutMs: publishing.probeTimeoutMs ?? DEFAULT_PUBLISH_TUNING.probeTimeoutMs,
        retryBaseMs: publishing.retryBaseMs ?? DEFAULT_PUBLISH_TUNING.retryBaseMs,
        retryMaxMs: publishing.retryMaxMs ?? DEFAULT_PUBLISH_TUNING.retryMaxMs,
      },
    });
  }

  /** The off-site targets, in the order configured. */
  get targets(): ReadonlyArray<PublishTargetImpl> {
    return this.publisher.targets;
  }

  /** Waits for the rebuild under way and for every target's publish to end (bounded by targetTimeoutMs). */
  async close(): Promise<void> {
    await this.queue;
    await this.publisher.idle();
  }

  /** The build the site directory holds now, or null before the first. */
  currentBuild(): BuiltSite | null {
    const dir = currentVersion(this.dir);
    const note = readNote<BuildNote>(dir, BUILD_NOTE);
    if (!dir || !note) return null;
    return { dir, manifest: readManifest(dir), stamp: note.stamp, publishedAt: note.publishedAt };
  }

  /**
   * The reconciler's round (a job of the delivery engine, every reconcileIntervalMs): brings every target to the
   * latest build, whatever made it miss one — an outage of any length, a restart, a rebuild that failed.
   *  1. The site itself: rebuilt in full when the database holds a change it does not show (its own rebuild failed
   *     for a component or maintenance change), or rebuilt as it is when its copies are due a republish (heartbeat).
   *  2. Each target not waiting out a backoff: its build note is read; a target holding an older build (older data,
   *     or the same data published before this build) is published to; one that cannot be read is behind.
   */
  async catchUp(): Promise<CatchUpReport> {
    const report: CatchUpReport = { targets: [] };
    const latest = await latestDataChange(this.deps.store.db);
    let build = this.currentBuild();
    const now = this.now().getTime();
    const behind =
      build === null ||
      (latest > build.stamp &&
        latest !== this.rebuiltFor &&
        Date.now() - Date.parse(latest) >= this.reconcile.staleGraceMs);
    const ageOf = (note: { publishedAt?: string } | null) =>
      note?.publishedAt ? now - Date.parse(note.publishedAt) : Number.POSITIVE_INFINITY;
    if (behind) {
      await this.rebuild({ full: true });
      this.rebuiltFor = latest;
      report.rebuilt = 'behind';
    } else if (ageOf(build) >= this.reconcile.heartbeatMs) {
      await this.rebuild({});
      report.rebuilt = 'heartbeat';
    }
    build = this.currentBuild();
    if (!build) return report;
    const current = build;
    const states = await this.publisher.states();
    report.targets = await Promise.all(
      this.publisher.targets.map(async (target) => {
        const state = states.get(target.name);
        if (state?.nextAttemptAt && Date.parse(state.nextAttemptAt) > Date.now())
          return { name: target.name, action: 'waiting' as const };
        const probed = await this.publisher.probe(target);
        if ('failure' in probed) return { name: target.name, action: 'failed' as const, error: probed.failure.error };
        const note = probed.note;
        const stale =
          note === null ||
          note.stamp < current.stamp ||
          (note.stamp === current.stamp && (note.publishedAt ?? '') < (current.publishedAt ?? ''));
        if (!stale) {
          if (state?.behindSince || state?.publishedStamp !== note.stamp)
            await this.publisher.markCurrent(target, note.stamp);
          return { name: target.name, action: 'current' as const };
        }
        // A rebuild meanwhile made a later one: publish the latest.
        const outcome = await this.publisher.submit(target, this.currentBuild() ?? current);
        return outcome.error
          ? { name: target.name, action: 'failed' as const, error: outcome.error }
          : { name: target.name, action: 'published' as const };
      }),
    );
    return report;
  }

  get renderer(): PageRenderer {
    return this.pages;
  }

  /**
   * Rebuilds one at a time in this process, and coalesces: requests made while a rebuild runs join the one
   * waiting after it (their incidents merged), since each rebuild reads the database afresh. A burst of updates
   * costs two rebuilds, not one per update.
   *
   * Under a steady stream of changes the rebuilds are also paced: one that follows another closely waits until
   * the site has spent at most a tenth of the time rebuilding (at most REBUILD_PAUSE_MAX_MS), gathering the
   * requests that come meanwhile. Back to back, rebuilds held their process's event loop most of the time (under
   * bench/load the public JSON served 357 req/s, 625–662 paced). A change after a quiet moment is rebuilt at once.
   */
  rebuild(request: RebuildRequest = {}): Promise<RebuildReport> {
    if (this.next) {
      this.next.request.full ||= Boolean(request.full);
      for (const id of request.incidentIds ?? []) this.next.request.incidentIds.add(id);
      return this.next.report;
    }
    const merged = { full: Boolean(request.full), incidentIds: new Set(request.incidentIds ?? []) };
    const built = this.queue.then(async () => {
      await this.quiet();
      this.next = undefined;
      const started = performance.now();
      try {
        return await this.run({ full: merged.full, incidentIds: [...merged.incidentIds] });
      } finally {
        this.last = { endedAt: performance.now(), tookMs: performance.now() - started };
      }
    });
    // The next build waits for this one's commit, not for its targets: each target publishes in its own lane.
    this.queue = built.catch(() => undefined);
    const report = built.then(async ({ report, targets, builtAt }) => ({
      ...report,
      targets: await targets,
      publishMs: performance.now() - builtAt,
    }));
    this.next = { request: merged, report };
    return report;
  }

  /** Resolves once a rebuild would start without being paced: at once after a quiet moment. */
  async quiet(): Promise<void> {
    // A loop, not one timer: Node's timers count whole milliseconds from a cached clock, so they often fire a
    // fraction of a millisecond before performance.now() reaches the due time.
    for (;;) {
      const due = this.last.endedAt + Math.min(REBUILD_PAUSE_FACTOR * this.last.tookMs, REBUILD_PAUSE_MAX_MS);
      const waitMs = due - performance.now();
      if (waitMs <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
    }
  }

  private run(request: RebuildRequest): Promise<Built> {
    return this.underLock(() => this.buildAndPublish(request));
  }

  private underLock<T>(fn: () => Promise<T>): Promise<T> {
    return withSiteLock(this.dir, fn, (error) =>
      this.deps.logger.warn({ err: error.message }, 'status site lock was taken over while this process held it'),
    );
  }

  /** Builds and commits the site, and hands the build to each target's lane (see TargetPublisher). */
  private async buildAndPublish(request: RebuildRequest): Promise<Built> {
    const started = performance.now();
    const current = currentVersion(this.dir);
    const previous = readManifest(current);
    const previousPages = readNote<RenderedPages>(current, RENDERED_PAGES);
    const stamps = await incidentStamps(this.deps.store.db);
    // Without a record of what the current version rendered (made before there was one), render it all once.
    const full =
      Boolean(request.full) ||
      !(this.pages.css.path in previous) ||
      previousPages === null ||
      previousPages.keys === undefined;
    const keys: Record<string, string> = {};
    const pages: RenderedPages = { incidents: full ? {} : { ...previousPages.incidents }, keys };
    // Pages another machine's build brought up to date, or that nobody rendered here yet, are rendered too: each
    // machine builds its own copy of the site and publishes it to the shared targets.
    const outdated = full
      ? []
      : [...stamps].filter(([id, stamp]) => pages.incidents[id] !== stampKey(stamp)).map(([id]) => id);
    const { files, data, publishedAt } = await this.render(
      full,
      [...new Set([...(request.incidentIds ?? []), ...outdated])],
      { keys: full ? {} : (previousPages?.keys ?? {}), manifest: previous, next: keys },
    );
    // The calendar holds cancelled maintenances too: a cancellation is a change the build shows.
    const stamp = dataStamp(stamps, [...data.components, ...data.maintenances, ...data.calendar]);
    const manifest: Manifest = full ? {} : { ...previous };
    for (const id of Object.keys(pages.incidents)) {
      if (stamps.has(id)) continue;
      delete pages.incidents[id];
      delete manifest[incidentPage(id)];
    }
    // A deleted component's badge goes. (Assets stay: pages not rendered again may still name an older logo.)
    for (const path of Object.keys(previousPages?.keys ?? {}))
      if (!(path in keys) && path.startsWith('components/')) delete manifest[path];
    for (const [path, content] of files) manifest[path] = hashOf(content);
    for (const [id, stamp] of stamps) if (files.has(incidentPage(id))) pages.incidents[id] = stampKey(stamp);
    let committed: Awaited<ReturnType<typeof commitTree>>;
    try {
      committed = await commitTree(
        this.dir,
        manifest,
        (path) => {
          const content = files.get(path);
          if (content === undefined) throw new MissingFileError(path);
          return content;
        },
        {
          [RENDERED_PAGES]: JSON.stringify(pages),
          [BUILD_NOTE]: JSON.stringify({ stamp, publishedAt } satisfies BuildNote),
        },
        { current, manifest: previous },
      );
    } catch (error) {
      if (!(error instanceof MissingFileError) || full) throw error;
      this.deps.logger.warn({ path: error.message }, 'status site version is incomplete; rebuilding every page');
      return this.buildAndPublish({ full: true });
    }
    const builtAt = performance.now();
    const targets = this.publisher.publishAll({ dir: committed.versionDir, manifest, stamp, publishedAt });
    return {
      report: { full, rendered: files.size, changed: committed.changed, buildMs: builtAt - started },
      targets,
      builtAt,
    };
  }

  /** The site's files, and the data they were rendered from. */
  private async render(
    full: boolean,
    changedIds: string[],
    prior: { keys: Record<string, string>; manifest: Manifest; next: Record<string, string> },
  ): Promise<{ files: Map<string, string | Uint8Array>; data: StatusPageSnapshot; publishedAt: string }> {
    const { db } = this.deps.store;
    const now = this.now();
    const since = new Date(now.getTime() - this.days * 86_400_000).toISOString();
    const [data, external] = await Promise.all([
      statusPageSnapshot(db, {
        since,
        recentLimit: this.recentLimit,
        calendarSince: new Date(now.getTime() - CALENDAR_KEEP_DAYS * 86_400_000).toISOString(),
      }),
      this.external.views(),
    ]);
    const pageIncidents = await incidentsWithUpdates(db, full ? await allIncidentIds(db) : [...new Set(changedIds)]);

    const lastChange =
      [
        ...data.components.map((c) => c.updatedAt),
        ...data.recent.map((i) => i.updatedAt),
        ...data.calendar.map((m) => m.updatedAt),
      ].reduce<string | undefined>((max, t) => (max === undefined || t > max ? t : max), undefined) ??
      now.toISOString(); // an empty page: built now
    const publishedAt = now.toISOString();
    const site: PageSite = { siteName: this.deps.siteName, updatedAt: lastChange, historyDays: this.days, publishedAt };
    const base = this.deps.publicUrl.replace(/\/+$/, '');
    const incidentUrl = (id: string) => `${base}/incidents/${id}.html`;
    const files = new Map<string, string | Uint8Array>();
    /**
     * A file whose content follows from `key` alone (its inputs, cheaply put): rendered only when the key differs
     * from the one the current version's copy was rendered with (see RenderedPages.keys).
     */
    const keyed = (path: string, key: string, content: () => string | Uint8Array) => {
      prior.next[path] = key;
      if (prior.keys[path] !== key || !(path in prior.manifest)) files.set(path, content());
    };

    // Named by a hash of their content: the name is their key.
    for (const file of [this.pages.css, this.pages.embedCss]) keyed(file.path, file.path, () => file.css);
    for (const file of [localTimeScript, subscribeScript]) keyed(file.path, file.path, () => file.js);
    for (const file of [this.brand.logo, this.brand.favicon]) if (file) keyed(file.path, file.path, () => file.content);
    const status = overallStatus(data.components, data.recent, data.maintenances);
    const groupId = (name: string) => shortId(`group:${name}`);
    const active = data.recent.filter(isOpen);
    const maintenance = {
      active: activeMaintenances(data.maintenances),
      upcoming: upcomingMaintenances(data.maintenances),
    };
    const pastSince = new Date(
      Math.floor(now.getTime() / 86_400_000) * 86_400_000 - (PAST_DAYS - 1) * 86_400_000,
    ).toISOString();
    files.set(
      'index.html',
      this.pages.renderIndex(site, {
        status,
        active,
        past: data.recent.filter((i) => i.startedAt >= pastSince),
        today: now.toISOString().slice(0, 10),
        groups: groupComponents(data.components, groupId),
        uptime: dailyUptime(data.components, data.statusChanges, now, this.days),
        dayLinks: dayLinks(data.recent, new Set(data.months.map((m) => m.month)), now),
        maintenance,
        external,
      }),
    );
    files.set(EMBED_PAGE, this.pages.renderEmbed(site, { status, active, maintenance }));
    const calendarName = `${statusTitle(this.deps.siteName)} - maintenance`;
    keyed('maintenances.ics', JSON.stringify([calendarName, base, data.calendar]), () =>
      maintenanceCalendar({ name: calendarName, publicUrl: base, maintenances: data.calendar }),
    );
    const title = statusTitle(this.deps.siteName);
    keyed('badge.svg', JSON.stringify([title, status.description, status.indicator]), () =>
      indicatorBadge(title, status.description, status.indicator),
    );
    for (const c of data.components)
      keyed(`components/${c.id}/badge.svg`, JSON.stringify([c.name, c.status]), () =>
        componentBadge(c.name, COMPONENT_STATUS_LABEL[c.status], c.status),
      );
    files.set('404.html', this.pages.renderNotFound(site, base));
    files.set(
      'subscribe.html',
      this.pages.renderSubscribe(site, data.components, {
        appUrl: this.deps.appUrl ?? base,
        follow: this.deps.options?.follow,
        kinds: this.deps.signupKinds?.() ?? [],
      }),
    );
    files.set('history.html', this.pages.renderHistoryIndex(site, data.months));

    for (const incident of pageIncidents) {
      files.set(
        incidentPage(incident.id),
        this.pages.renderIncident({ ...site, updatedAt: incident.updatedAt }, incident),
      );
    }
    // A month's page shows its incidents and links to the months beside it: rendered when one of its incidents
    // changed, or when its neighbours did (a first incident in a new month).
    const months = data.months.map((m) => m.month);
    const changedMonths = new Set(pageIncidents.map((i) => i.startedAt.slice(0, 7)));
    for (const [at, month] of months.entries()) {
      const path = `history/${month}.html`;
      const key = `${months[at - 1] ?? ''}|${months[at + 1] ?? ''}`;
      prior.next[path] = key;
      if (!full && !changedMonths.has(month) && prior.keys[path] === key && path in prior.manifest) continue;
      const incidents = full
        ? pageIncidents.filter((i) => i.startedAt.startsWith(month))
        : await incidentsWithUpdates(db, await incidentIdsInMonth(db, month));
      const updatedAt = incidents.reduce(
        (max, i) => (i.updatedAt > max ? i.updatedAt : max),
        `${month}-01T00:00:00.000Z`,
      );
      files.set(path, this.pages.renderHistoryMonth({ ...site, updatedAt }, month, incidents, months));
    }

    const recent = data.recent.slice(0, this.recentLimit);
    const page = {
      id: shortId(base),
      name: this.deps.siteName,
      url: base,
      time_zone: 'Etc/UTC',
      updated_at: lastChange,
    };
    const documents = statuspageDocuments({
      page,
      components: data.components,
      incidents: recent,
      maintenances: data.maintenances,
      incidentUrl,
      maintenanceUrl: (id) => `${base}/#maintenance-${id}`,
    });
    for (const [path, doc] of documents) files.set(path, JSON.stringify(doc));
    const feeds = historyFeeds({
      siteName: this.deps.siteName,
      publicUrl: base,
      incidents: recent,
      incidentUrl,
      updatedAt: new Date(lastChange),
    });
    files.set('history.rss', feeds.rss);
    files.set('history.atom', feeds.atom);
    return { files, data, publishedAt };
  }
}

class MissingFileError extends Error {}

/** A committed build, its targets still publishing. */
interface Built {
  report: Omit<RebuildReport, 'targets' | 'publishMs'>;
  targets: Promise<TargetOutcome[]>;
  builtAt: number;
}

/**
 * Per component, each day an incident affected it → where that incident is listed in the history (the month page
 * of its start, anchored at its start day). Of several incidents on one day, the one that started last.
 */
function dayLinks(incidents: IncidentWithUpdates[], months: Set<string>, now: Date): Map<string, Map<string, string>> {
  const links = new Map<string, Map<string, string>>();
  const DAY = 86_400_000;
  for (const incident of [...incidents].reverse()) {
    const month = incident.startedAt.slice(0, 7);
    if (!months.has(month)) continue;
    const href = `history/${month}.html#d${incident.startedAt.slice(0, 10)}`;
    const first = Math.floor(Date.parse(incident.startedAt) / DAY);
    const last = Math.floor((incident.resolvedAt ? Date.parse(incident.resolvedAt) : now.getTime()) / DAY);
    const ids = new Set([
      ...incident.components.map((c) => c.id),
      ...incident.updates.flatMap((u) => u.components.map((c) => c.id)),
    ]);
    for (const id of ids) {
      let days = links.get(id);
      if (!days) links.set(id, (days = new Map()));
      for (let d = first; d <= last && d - first < 400; d++)
        days.set(new Date(d * DAY).toISOString().slice(0, 10), href);
    }
  }
  return links;
}

/** What a version's pages were rendered from. */
interface RenderedPages {
  /** Incident page: incident id → its stamp when rendered (stampKey). */
  incidents: Record<string, string>;
  /**
   * Files that change only with a few inputs (assets, badges, the calendar, history months): path → those inputs
   * when rendered. Absent in versions from before it: the next build renders everything once.
   */
  keys?: Record<string, string>;
}
const RENDERED_PAGES = '.herald-rendered.json';
const incidentPage = (id: string) => `incidents/${id}.html`;

// Publishing a build to the off-site targets: all at once, each within its own time limit, each outcome recorded
// on its own (src/store/statuspage-targets-repo.ts). A target that fails is "behind since T" and waits out a
// capped backoff; it never fails the build, and never holds back another target.
import type { Logger } from '../runtime/logger.js';
import {
  listTargetStates,
  recordTargetCurrent,
  recordTargetFailed,
  type TargetState,
} from '../store/statuspage-targets-repo.js';
import type { Store } from '../store/store.js';
import type { BuildNote, BuiltSite, PublishTargetImpl, TargetReport } from './targets/target.js';
import { pinVersion } from './tree.js';

export interface PublishTuning {
  /** How long one publish to one target may take before it counts as failed. */
  targetTimeoutMs: number;
  /** How long reading a target's build note may take (the reconciler's look before it publishes). */
  probeTimeoutMs: number;
  /** Backoff after a failed publish: first delay, doubled per failure in a row, at most retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_PUBLISH_TUNING: PublishTuning = {
  targetTimeoutMs: 60_000,
  probeTimeoutMs: 10_000,
  retryBaseMs: 2_000,
  retryMaxMs: 30_000,
};

/** One target's part in a build: what it took, or why it did not (it stays behind and is tried again). */
export interface TargetOutcome extends TargetReport {
  /** The failure, when the publish failed. */
  error?: string;
  /** Set while the target is behind: since when. */
  behindSince?: string;
  /** Left out of this build: it waits out its backoff until then (the reconciler publishes to it). */
  waitingUntil?: string;
}

export interface TargetPublisherDeps {
  store: Store;
  logger: Logger;
  /** The status page channel's name: the key of its targets' rows. */
  channel: string;
  targets: PublishTargetImpl[];
  tuning: PublishTuning;
  /** After a publish that changed files at a target (CDN purge); a failure is logged, never fails the publish. */
  afterPublish?: (target: PublishTargetImpl, report: TargetReport, site: BuiltSite) => Promise<void>;
}

export class TargetPublisher {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly deps: TargetPublisherDeps) {
    for (const target of deps.targets)
      this.lanes.set(target.name, new Lane(target, (t, site) => this.publishOne(t, site)));
  }

  get targets(): ReadonlyArray<PublishTargetImpl> {
    return this.deps.targets;
  }

  get tuning(): PublishTuning {
    return this.deps.tuning;
  }

  /** Each target's recorded state by name; empty when the database cannot say (then every target is tried). */
  async states(): Promise<Map<string, TargetState>> {
    try {
      const rows = await listTargetStates(this.deps.store.db, this.deps.channel);
      return new Map(rows.map((r) => [r.target, r]));
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'could not read the status page targets’ state');
      return new Map();
    }
  }

  /**
   * Publishes `site` to every target at once, but those waiting out a backoff (the reconciler retries them when it
   * is over). Resolves when each has succeeded, failed or run out of time; never rejects.
   */
  async publishAll(site: BuiltSite): Promise<TargetOutcome[]> {
    if (this.deps.targets.length === 0) return [];
    const states = await this.states();
    const now = Date.now();
    return Promise.all(
      this.deps.targets.map((target) => {
        const state = states.get(target.name);
        if (state?.nextAttemptAt && Date.parse(state.nextAttemptAt) > now) {
          return Promise.resolve<TargetOutcome>({
            name: target.name,
            uploaded: [],
            deleted: [],
            behindSince: state.behindSince ?? undefined,
            waitingUntil: state.nextAttemptAt,
            error: state.lastError ?? undefined,
          });
        }
        return this.submit(target, site);
      }),
    );
  }

  /** Resolves when no target is publishing (shutdown waits for this: a publish cut off leaves a copy half-updated). */
  async idle(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => lane.idle()));
  }

  /**
   * Publishes `site` to one target through its lane: one publish at a time per target, the latest build waiting
   * behind a running one (a build it replaces gets its outcome). Other targets and later builds never wait for it.
   */
  submit(target: PublishTargetImpl, site: BuiltSite): Promise<TargetOutcome> {
    return this.lanes.get(target.name)!.submit(site, pinVersion(site.dir));
  }

  /** One target, within its time limit; the outcome is recorded. Never rejects. */
  async publishOne(target: PublishTargetImpl, site: BuiltSite): Promise<TargetOutcome> {
    try {
      const report = await withTimeout(
        (signal) => target.publish(site, signal),
        this.deps.tuning.targetTimeoutMs,
        `publishing took longer than ${this.deps.tuning.targetTimeoutMs} ms`,
      );
      if (report.skipped)
        this.deps.logger.info({ target: target.name, reason: report.skipped }, 'status site not published to a target');
      await this.record(() =>
        recordTargetCurrent(this.deps.store.db, this.key(target), site.stamp, new Date().toISOString()),
      );
      if (this.deps.afterPublish && (report.uploaded.length > 0 || report.deleted.length > 0)) {
        await this.deps
          .afterPublish(target, report, site)
          .catch((error: unknown) =>
            this.deps.logger.warn({ target: target.name, err: (error as Error).message }, 'CDN purge failed'),
          );
      }
      return report;
    } catch (error) {
      return this.failed(target, error);
    }
  }

  /** The target's build note, or the failure that kept it from being read (recorded like a failed publish). */
  async probe(target: PublishTargetImpl): Promise<{ note: BuildNote | null } | { failure: TargetOutcome }> {
    try {
      const note = await withTimeout(
        (signal) => target.readBuild(signal),
        this.deps.tuning.probeTimeoutMs,
        `no answer within ${this.deps.tuning.probeTimeoutMs} ms`,
      );
      return { note };
    } catch (error) {
      return { failure: await this.failed(target, error) };
    }
  }

  /** Records that the target holds the build of `stamp` (found there by the reconciler). */
  async markCurrent(target: PublishTargetImpl, stamp: string): Promise<void> {
    await this.record(() => recordTargetCurrent(this.deps.store.db, this.key(target), stamp, new Date().toISOString()));
  }

  private async failed(target: PublishTargetImpl, error: unknown): Promise<TargetOutcome> {
    const message = (error as Error).message ?? String(error);
    const at = new Date();
    const { retryBaseMs, retryMaxMs } = this.deps.tuning;
    const nextAt = (failures: number) =>
      new Date(at.getTime() + Math.min(retryBaseMs * 2 ** (failures - 1), retryMaxMs)).toISOString();
    let failures = 1;
    await this.record(async () => {
      failures = await recordTargetFailed(this.deps.store.db, this.key(target), message, at.toISOString(), nextAt);
    });
    const state = (await this.states()).get(target.name);
    this.deps.logger.warn(
      { target: target.name, failures, err: message, retryAt: nextAt(failures) },
      'status site target is behind; it is tried again after a pause',
    );
    return {
      name: target.name,
      uploaded: [],
      deleted: [],
      error: message,
      behindSince: state?.behindSince ?? at.toISOString(),
      waitingUntil: nextAt(failures),
    };
  }

  private key(target: PublishTargetImpl) {
    return { channel: this.deps.channel, target: target.name };
  }

  /** A state that cannot be recorded (database away) is logged: the build itself stands, the reconciler repairs. */
  private async record(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'could not record a status page target’s state');
    }
  }
}

/**
 * One target's publishes, one at a time. A build submitted while one runs waits; a later one takes its place (only
 * the latest is worth publishing) and its waiters get the later build's outcome. After a failure the waiting build
 * is not tried until the backoff is over: the reconciler publishes then.
 */
class Lane {
  private running: Promise<void> | null = null;
  private pending: { site: BuiltSite; release: () => void; waiters: Array<(outcome: TargetOutcome) => void> } | null =
    null;

  constructor(
    private readonly target: PublishTargetImpl,
    private readonly publish: (target: PublishTargetImpl, site: BuiltSite) => Promise<TargetOutcome>,
  ) {}

  submit(site: BuiltSite, release: () => void): Promise<TargetOutcome> {
    return new Promise((resolve) => {
      if (this.pending) {
        this.pending.release();
        this.pending.site = site;
        this.pending.release = release;
        this.pending.waiters.push(resolve);
      } else {
        this.pending = { site, release, waiters: [resolve] };
      }
      this.running ??= this.drain().finally(() => {
        this.running = null;
      });
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    let last: TargetOutcome | undefined;
    while (this.pending) {
      const job = this.pending;
      this.pending = null;
      let outcome: TargetOutcome;
      if (last?.error && last.waitingUntil && Date.parse(last.waitingUntil) > Date.now()) {
        outcome = { ...last, uploaded: [], deleted: [] };
      } else {
        try {
          outcome = await this.publish(this.target, job.site);
        } catch (error) {
          outcome = { name: this.target.name, uploaded: [], deleted: [], error: (error as Error).message };
        }
      }
      job.release();
      last = outcome;
      for (const resolve of job.waiters) resolve(outcome);
    }
  }
}

/** Runs `fn` with a signal that aborts after `ms`; rejects with `message` then, whether or not `fn` listens. */
export async function withTimeout<T>(fn: (signal: AbortSignal) => Promise<T>, ms: number, message: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new Error(message));
      reject(new Error(message));
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// What every publish target is and reports, apart from the targets themselves (index.ts picks one by type).
import type { Manifest } from '../tree.js';

export interface BuiltSite {
  /** The committed version directory to read files from. */
  dir: string;
  manifest: Manifest;
  /** How recent the data it was built from is (see dataStamp): a target holding a later build keeps it. */
  stamp: string;
  /** When this copy is published: written into the target's build note for outside monitors (default: now). */
  publishedAt?: string;
}

/**
 * Beside the files at a target: the stamp of the build they are, so an older build does not replace them, and when
 * they were published (what an outside monitor checks). Written last, after every file of the build.
 */
export const BUILD_NOTE = '.herald-build.json';
export interface BuildNote {
  /** The latest change to the data the build shows (ISO time; empty for an empty database). */
  stamp: string;
  /** When this copy was published. */
  publishedAt?: string;
  /** The break-glass banner the copy carries (`herald statuspage emergency`), if any. */
  emergency?: { message: string; at: string };
}

/** Why a target kept what it had, or null when `site` may replace it. */
export function newerBuildAt(target: BuildNote | null, site: BuiltSite): string | null {
  return target && target.stamp > site.stamp
    ? `it holds a build of later data (${target.stamp}, this one ${site.stamp})`
    : null;
}

export interface TargetReport {
  name: string;
  /** Files written or uploaded because they are new or changed. */
  uploaded: string[];
  deleted: string[];
  /** Why nothing was published there (a build of later data got there first); absent when it was. */
  skipped?: string;
}

export interface PublishTargetImpl {
  readonly name: string;
  /** Publishes the build; `signal` ends it early (the target's time is up). Throws when the target fails. */
  publish(site: BuiltSite, signal?: AbortSignal): Promise<TargetReport>;
  /** The build note the target holds, null when it holds none. Throws when the target cannot be read. */
  readBuild(signal?: AbortSignal): Promise<BuildNote | null>;
}

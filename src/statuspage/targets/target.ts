// What every publish target is and reports, apart from the targets themselves (index.ts picks one by type).
import type { Manifest } from '../tree.js';

export interface BuiltSite {
  /** The committed version directory to read files from. */
  dir: string;
  manifest: Manifest;
  /** How recent the data it was built from is (see dataStamp): a target holding a later build keeps it. */
  stamp: string;
}

/** Beside the files at a target: the stamp of the build they are, so an older build does not replace them. */
export const BUILD_NOTE = '.herald-build.json';
export interface BuildNote {
  stamp: string;
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
  publish(site: BuiltSite): Promise<TargetReport>;
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectoryTarget } from '../options.js';
import { commitTree, currentVersion, readNote } from '../tree.js';
import {
  BUILD_NOTE,
  type BuildNote,
  type BuiltSite,
  newerBuildAt,
  type PublishTargetImpl,
  type TargetReport,
} from './target.js';

/** A local directory for any web server or rsync: the same atomic symlink swap as the site itself. */
export class DirectoryPublisher implements PublishTargetImpl {
  constructor(
    private readonly target: DirectoryTarget,
    readonly name: string,
  ) {}

  async readBuild(): Promise<BuildNote | null> {
    return readNote<BuildNote>(currentVersion(this.target.path), BUILD_NOTE);
  }

  async publish(site: BuiltSite, signal?: AbortSignal): Promise<TargetReport> {
    const skipped = newerBuildAt(await this.readBuild(), site);
    if (skipped) return { name: this.name, uploaded: [], deleted: [], skipped };
    signal?.throwIfAborted();
    const note = {
      [BUILD_NOTE]: JSON.stringify({
        stamp: site.stamp,
        publishedAt: site.publishedAt ?? new Date().toISOString(),
      } satisfies BuildNote),
    };
    const result = await commitTree(this.target.path, site.manifest, (path) => readFile(join(site.dir, path)), note);
    return { name: this.name, uploaded: result.changed, deleted: result.removed };
  }
}

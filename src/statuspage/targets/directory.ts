import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectoryTarget } from '../options.js';
import { commitTree } from '../tree.js';
import type { BuiltSite, PublishTargetImpl, TargetReport } from './index.js';

/** A local directory for any web server or rsync: the same atomic symlink swap as the site itself. */
export class DirectoryPublisher implements PublishTargetImpl {
  constructor(
    private readonly target: DirectoryTarget,
    readonly name: string,
  ) {}

  async publish(site: BuiltSite): Promise<TargetReport> {
    const result = await commitTree(this.target.path, site.manifest, (path) => readFile(join(site.dir, path)));
    return { name: this.name, uploaded: result.changed, deleted: result.removed };
  }
}

import type { PublishTarget } from '../options.js';
import { DirectoryPublisher } from './directory.js';
import { S3Publisher } from './s3.js';
import type { PublishTargetImpl } from './target.js';

export function createTarget(target: PublishTarget, index: number): PublishTargetImpl {
  switch (target.type) {
    case 'directory':
      return new DirectoryPublisher(target, target.name ?? `directory:${target.path}`);
    case 's3':
      return new S3Publisher(target, target.name ?? `s3://${target.bucket}/${target.prefix ?? ''}`);
    default:
      throw new Error(
        `statuspage targets[${index}]: unknown type '${(target as { type: string }).type}'; use 'directory' or 's3'`,
      );
  }
}

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enabledDefinitions, loadConfigFile } from '../../src/config/load.js';
import type { StatusPageOptions } from '../../src/statuspage/options.js';

// The shipped channels.config.ts turns the status page's off-site targets on from the environment alone.
const targetsWith = async (vars: Record<string, string>) => {
  const config = await loadConfigFile(resolve('channels.config.ts'), { HERALD_LOG_CHANNEL: '0', ...vars });
  const page = enabledDefinitions(config).find((d) => d.kind === 'statuspage') as unknown as {
    statusPage: StatusPageOptions;
  };
  return page.statusPage.targets;
};

describe('shipped channels.config.ts: status page targets from the environment', () => {
  it('none without the variables', async () => {
    expect(await targetsWith({})).toEqual([]);
  });

  it('STATUS_PAGE_MIRROR_DIR and STATUS_PAGE_S3_* with the AWS credentials', async () => {
    expect(
      await targetsWith({
        STATUS_PAGE_MIRROR_DIR: '/var/www/status',
        STATUS_PAGE_S3_BUCKET: 'status-example-com',
        STATUS_PAGE_S3_REGION: 'eu-west-1',
        STATUS_PAGE_S3_ENDPOINT: 'http://127.0.0.1:9000',
        AWS_ACCESS_KEY_ID: 'AKID',
        AWS_SECRET_ACCESS_KEY: 'shh',
      }),
    ).toEqual([
      { type: 'directory', name: 'mirror', path: '/var/www/status' },
      {
        type: 's3',
        name: 's3',
        bucket: 'status-example-com',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9000',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'shh' },
      },
    ]);
  });

  it('AWS S3 itself: no endpoint, virtual-hosted addresses, the SDK credential chain', async () => {
    expect(await targetsWith({ STATUS_PAGE_S3_BUCKET: 'status-example-com' })).toEqual([
      {
        type: 's3',
        name: 's3',
        bucket: 'status-example-com',
        region: undefined,
        endpoint: undefined,
        forcePathStyle: false,
        credentials: undefined,
      },
    ]);
  });
});

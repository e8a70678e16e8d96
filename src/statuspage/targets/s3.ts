import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { cacheControlOf, contentTypeOf } from '../content-types.js';
import type { S3Target } from '../options.js';
import { MANIFEST, type Manifest } from '../tree.js';
import {
  BUILD_NOTE,
  type BuildNote,
  type BuiltSite,
  newerBuildAt,
  type PublishTargetImpl,
  type TargetReport,
} from './target.js';

const CONCURRENCY = 8;

/**
 * S3-compatible object storage. The bucket keeps the manifest of what it holds, so each publish uploads
 * only new and changed files; entry points (index, JSON, feeds) go last and the manifest after them, so a
 * publish cut short is repeated in full by the next one. The build's stamp goes last of all (see BUILD_NOTE).
 */
export class S3Publisher implements PublishTargetImpl {
  private s3?: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }>;
  private readonly prefix: string;

  constructor(
    private readonly target: S3Target,
    readonly name: string,
  ) {
    this.prefix = target.prefix ? target.prefix.replace(/^\/+/, '').replace(/\/*$/, '/') : '';
  }

  /** The AWS SDK is loaded when a bucket is first used: a process that never publishes to one does not carry it. */
  private connect() {
    this.s3 ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.target.region ?? 'us-east-1',
        endpoint: this.target.endpoint,
        forcePathStyle: this.target.forcePathStyle,
        credentials: this.target.credentials,
        maxAttempts: 2,
      }),
    }));
    return this.s3;
  }

  readBuild(signal?: AbortSignal): Promise<BuildNote | null> {
    return this.remoteJson<BuildNote>(BUILD_NOTE, signal);
  }

  async publish(site: BuiltSite, signal?: AbortSignal): Promise<TargetReport> {
    const { client, sdk } = await this.connect();
    const { DeleteObjectsCommand, PutObjectCommand } = sdk;
    const skipped = newerBuildAt(await this.readBuild(signal), site);
    if (skipped) return { name: this.name, uploaded: [], deleted: [], skipped };
    const remote = (await this.remoteJson<Manifest>(MANIFEST, signal)) ?? {};
    const changed = Object.keys(site.manifest).filter((p) => remote[p] !== site.manifest[p]);
    const entry = (p: string) => !p.startsWith('incidents/') && !p.startsWith('assets/') && !p.startsWith('history/');
    const send = { abortSignal: signal };
    await this.upload(
      site.dir,
      changed.filter((p) => !entry(p)),
      signal,
    );
    await this.upload(site.dir, changed.filter(entry), signal);
    const removed = Object.keys(remote).filter((p) => !(p in site.manifest));
    for (let i = 0; i < removed.length; i += 1000) {
      await client.send(
        new DeleteObjectsCommand({
          Bucket: this.target.bucket,
          Delete: { Objects: removed.slice(i, i + 1000).map((p) => ({ Key: this.prefix + p })), Quiet: true },
        }),
        send,
      );
    }
    await client.send(
      new PutObjectCommand({
        Bucket: this.target.bucket,
        Key: this.prefix + MANIFEST,
        Body: JSON.stringify(site.manifest),
        ContentType: 'application/json',
        CacheControl: 'no-store',
      }),
      send,
    );
    await client.send(
      new PutObjectCommand({
        Bucket: this.target.bucket,
        Key: this.prefix + BUILD_NOTE,
        Body: JSON.stringify({
          stamp: site.stamp,
          publishedAt: site.publishedAt ?? new Date().toISOString(),
        } satisfies BuildNote),
        ContentType: 'application/json',
        CacheControl: 'no-store',
      }),
      send,
    );
    return { name: this.name, uploaded: changed.sort(), deleted: removed };
  }

  private async upload(dir: string, paths: string[], signal?: AbortSignal) {
    const { client, sdk } = await this.connect();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, paths.length) }, async () => {
        while (next < paths.length) {
          const path = paths[next++]!;
          await client.send(
            new sdk.PutObjectCommand({
              Bucket: this.target.bucket,
              Key: this.prefix + path,
              Body: await readFile(join(dir, path)),
              ContentType: contentTypeOf(path),
              CacheControl: cacheControlOf(path),
            }),
            { abortSignal: signal },
          );
        }
      }),
    );
  }

  /** One of Herald's own JSON objects in the bucket, or null when there is none yet. */
  private async remoteJson<T>(name: string, signal?: AbortSignal): Promise<T | null> {
    const { client, sdk } = await this.connect();
    try {
      const object = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.target.bucket, Key: this.prefix + name }),
        { abortSignal: signal },
      );
      return JSON.parse((await object.Body?.transformToString()) ?? 'null') as T | null;
    } catch (error) {
      const code = (error as { name?: string }).name;
      if (code === 'NoSuchKey' || code === 'NotFound') return null;
      throw new Error(
        `could not read ${name} from bucket '${this.target.bucket}' (${code}: ${(error as Error).message}); check the bucket name, endpoint and credentials`,
      );
    }
  }
}

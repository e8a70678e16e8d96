// Break glass: a banner onto the last built site in every target, with nothing but the targets themselves (no
// database, no Redis: Herald's own outage is when it is needed most). Each HTML page carries an empty marker
// (layout.html.hbs); the banner goes between its two halves, and `clear` empties it again, giving back the bytes
// the build wrote. The next normal build writes its pages without a banner, and replaces the target's.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cacheControlOf, contentTypeOf } from './content-types.js';
import type { PublishTarget } from './options.js';
import { utcText } from './time.js';
import { BUILD_NOTE, type BuildNote } from './targets/target.js';
import { commitTree, currentVersion, hashOf, MANIFEST, type Manifest, readManifest, readNote } from './tree.js';

const OPEN = '<!--herald:emergency-->';
const CLOSE = '<!--/herald:emergency-->';
const MARKED = /<!--herald:emergency-->[\s\S]*?<!--\/herald:emergency-->/;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The page with `banner` (null: none) between the markers; unchanged when the page has no marker. */
export function withBanner(html: string, banner: { message: string; at: string } | null): string {
  const inner = banner
    ? `<div class="emergency" role="alert"><p><strong>${escapeHtml(banner.message)}</strong></p><p>Posted ${escapeHtml(utcText(banner.at))}. Some of what this page shows may be out of date until the next update.</p></div>`
    : '';
  return html.replace(MARKED, `${OPEN}${inner}${CLOSE}`);
}

export interface EmergencyResult {
  target: string;
  pages: number;
  error?: string;
}

/** Puts the banner (or, with null, takes it away) on every target; each target on its own, one failing never stops another. */
export async function applyEmergency(
  targets: Array<{ name: string; target: PublishTarget }>,
  banner: { message: string; at: string } | null,
): Promise<EmergencyResult[]> {
  return Promise.all(
    targets.map(async ({ name, target }) => {
      try {
        const pages =
          target.type === 'directory' ? await onDirectory(target.path, banner) : await onBucket(target, banner);
        return { target: name, pages };
      } catch (error) {
        return { target: name, pages: 0, error: (error as Error).message };
      }
    }),
  );
}

const noteWith = (note: BuildNote | null, banner: { message: string; at: string } | null): BuildNote => {
  const { emergency: _, ...rest } = note ?? { stamp: '' };
  return banner ? { ...rest, emergency: banner } : rest;
};

async function onDirectory(path: string, banner: { message: string; at: string } | null): Promise<number> {
  const version = currentVersion(path);
  if (!version) throw new Error(`nothing is published at ${path} yet`);
  const manifest = readManifest(version);
  const changed = new Map<string, string>();
  for (const page of Object.keys(manifest).filter((p) => p.endsWith('.html'))) {
    const html = await readFile(join(version, page), 'utf8');
    const next = withBanner(html, banner);
    if (next !== html) changed.set(page, next);
  }
  const next: Manifest = { ...manifest };
  for (const [page, html] of changed) next[page] = hashOf(html);
  await commitTree(path, next, (p) => changed.get(p) ?? readFile(join(version, p)), {
    [BUILD_NOTE]: JSON.stringify(noteWith(readNote<BuildNote>(version, BUILD_NOTE), banner)),
  });
  return changed.size;
}

async function onBucket(
  target: Extract<PublishTarget, { type: 's3' }>,
  banner: { message: string; at: string } | null,
): Promise<number> {
  const client = new S3Client({
    region: target.region ?? 'us-east-1',
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    credentials: target.credentials,
    maxAttempts: 3,
  });
  const prefix = target.prefix ? target.prefix.replace(/^\/+/, '').replace(/\/*$/, '/') : '';
  const get = async (key: string): Promise<string | null> => {
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: prefix + key }));
      return (await object.Body?.transformToString()) ?? null;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  };
  const put = (key: string, body: string, type: string, cache: string) =>
    client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: prefix + key,
        Body: body,
        ContentType: type,
        CacheControl: cache,
      }),
    );
  try {
    const manifestText = await get(MANIFEST);
    if (!manifestText) throw new Error(`nothing is published in bucket '${target.bucket}' yet`);
    const manifest = JSON.parse(manifestText) as Manifest;
    let changed = 0;
    for (const page of Object.keys(manifest).filter((p) => p.endsWith('.html'))) {
      const html = await get(page);
      if (html === null) continue;
      const next = withBanner(html, banner);
      if (next === html) continue;
      await put(page, next, contentTypeOf(page), cacheControlOf(page));
      // The manifest records what the bucket holds, so the next build uploads its own pages over these.
      manifest[page] = hashOf(next);
      changed++;
    }
    await put(MANIFEST, JSON.stringify(manifest), 'application/json', 'no-store');
    const note = JSON.parse((await get(BUILD_NOTE)) ?? 'null') as BuildNote | null;
    await put(BUILD_NOTE, JSON.stringify(noteWith(note, banner)), 'application/json', 'no-store');
    return changed;
  } finally {
    client.destroy();
  }
}

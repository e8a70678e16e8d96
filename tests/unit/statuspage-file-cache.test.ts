// What `herald serve` keeps in memory of the status site (src/statuspage/file-cache.ts).
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SiteFileCache } from '../../src/statuspage/file-cache.js';
import { commitTree, hashOf } from '../../src/statuspage/tree.js';
import { tempDir } from '../helpers/env.js';

async function publish(dir: string, files: Record<string, string>) {
  const manifest = Object.fromEntries(Object.entries(files).map(([path, content]) => [path, hashOf(content)]));
  await commitTree(dir, manifest, (path) => files[path]!);
}

describe('SiteFileCache', () => {
  it('takes ETags from the build manifest, and carries a file a rebuild left unchanged over with its compressed form', async () => {
    const dir = join(tempDir('herald-file-cache-'), 'site');
    const big = JSON.stringify({ incidents: Array.from({ length: 200 }, (_, i) => ({ id: i, body: 'still investigating' })) });
    await publish(dir, { 'api/v2/incidents.json': big, 'index.html': '<p>v1</p>' });
    const cache = new SiteFileCache(dir, 0);

    const json = (await cache.read('api/v2/incidents.json'))!;
    expect(json.etag).toBe(`"${hashOf(big).slice(0, 32)}"`);
    const br = await cache.encoded(json, 'br');
    expect(br.length).toBeLessThan(json.content.length / 4);

    await publish(dir, { 'api/v2/incidents.json': big, 'index.html': '<p>v2</p>' });
    const index = (await cache.read('index.html'))!;
    expect(index.content.toString()).toBe('<p>v2</p>');
    expect(index.etag).toBe(`"${hashOf('<p>v2</p>').slice(0, 32)}"`);
    // The same object: not read, hashed nor compressed again.
    expect(await cache.read('api/v2/incidents.json')).toBe(json);
    expect(await cache.encoded(json, 'br')).toBe(br);
  });

  it('requests that come together for a file of a new version share one read and one compression', async () => {
    const dir = join(tempDir('herald-file-cache-'), 'site');
    await publish(dir, { 'api/v2/summary.json': JSON.stringify({ page: 'x'.repeat(4_000) }) });
    const cache = new SiteFileCache(dir, 0);
    const files = await Promise.all(Array.from({ length: 20 }, () => cache.read('api/v2/summary.json')));
    expect(new Set(files).size).toBe(1);
    const coded = await Promise.all(files.map((f) => cache.encoded(f!, 'gzip')));
    expect(new Set(coded).size).toBe(1);
  });

  it('a version pruned while it was current is read through the link instead, and hashed here', async () => {
    const dir = join(tempDir('herald-file-cache-'), 'site');
    await publish(dir, { 'a.txt': 'a1', 'b.txt': 'b1' });
    const cache = new SiteFileCache(dir, 60_000); // holds on to the first version for the whole test
    expect((await cache.read('a.txt'))!.content.toString()).toBe('a1');
    const first = join(dirname(dir), readlinkSync(dir));
    // Two more versions, and the first is pruned as commitTree does once it is old enough.
    await publish(dir, { 'a.txt': 'a2', 'b.txt': 'b2' });
    await publish(dir, { 'a.txt': 'a3', 'b.txt': 'b3' });
    rmSync(first, { recursive: true });
    const b = (await cache.read('b.txt'))!;
    expect(b.content.toString()).toBe('b3');
    expect(b.etag).toBe(`"${hashOf('b3').slice(0, 32)}"`);
  });

  it('a plain directory (no version link) is read, and hashed, on every request', async () => {
    const dir = tempDir('herald-file-cache-plain-');
    writeFileSync(join(dir, 'index.html'), 'one');
    const cache = new SiteFileCache(dir, 0);
    expect((await cache.read('index.html'))!.etag).toBe(`"${hashOf('one').slice(0, 32)}"`);
    writeFileSync(join(dir, 'index.html'), 'two');
    expect((await cache.read('index.html'))!.content.toString()).toBe('two');
    expect(await cache.read('missing.html')).toBeNull();
  });
});

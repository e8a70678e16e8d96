// What `herald serve` keeps in memory of the status site (src/statuspage/file-cache.ts).
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SiteFileCache } from '../../src/statuspage/file-cache.js';
import { commitTree, hashOf } from '../../src/statuspage/tree.js';
import { tempDir } from '../helpers/env.js';

async function publish(dir: string, files: Record<string, string>) {
  const manifest = Object.fromEntries(Object.entries(files).map(([path, content]) => [path, hashOf(content)]));
  await commitTree(dir, manifest, (path) => files[path]!);
}

const tag = (content: string) => `"${hashOf(content).slice(0, 32)}"`;
const incidents = (note: string) =>
  JSON.stringify({
    incidents: Array.from({ length: 200 }, (_, i) => ({ id: i, body: `still investigating ${note}` })),
  });

describe('SiteFileCache', () => {
  it('takes ETags from the build manifest, and carries a file a rebuild left unchanged over, compressed forms and all', async () => {
    const dir = join(tempDir('herald-file-cache-'), 'site');
    const big = incidents('');
    await publish(dir, { 'api/v2/incidents.json': big, 'index.html': '<p>v1</p>' });
    const cache = new SiteFileCache(dir, 0);

    const plain = (await cache.get('api/v2/incidents.json', null))!;
    expect(plain).toMatchObject({ coding: null, etag: tag(big), hash: hashOf(big) });
    const br = (await cache.get('api/v2/incidents.json', 'br'))!;
    expect(br.coding).toBe('br');
    expect(br.etag).toBe(`${tag(big).slice(0, -1)}-br"`);
    expect(br.body.length).toBeLessThan(big.length / 4);
    expect(brotliDecompressSync(br.body).toString()).toBe(big);

    await publish(dir, { 'api/v2/incidents.json': big, 'index.html': '<p>v2</p>' });
    const index = (await cache.get('index.html', null))!;
    expect(index.body.toString()).toBe('<p>v2</p>');
    expect(index.etag).toBe(tag('<p>v2</p>'));
    // The same objects: not read, hashed nor compressed again.
    expect(await cache.get('api/v2/incidents.json', 'br')).toBe(br);
    expect(await cache.get('api/v2/incidents.json', null)).toBe(plain);
  });

  it('requests that come together for a file of a new version share one read and one compression', async () => {
    const dir = join(tempDir('herald-file-cache-'), 'site');
    await publish(dir, { 'api/v2/summary.json': incidents('a') });
    const cache = new SiteFileCache(dir, 0);
    const forms = await Promise.all(Array.from({ length: 20 }, () => cache.get('api/v2/summary.json', 'gzip')));
    expect(new Set(forms).size).toBe(1);
    expect(forms[0]!.coding).toBe('gzip');
  });

  it('the first request after a rebuild gets the new version, and a file the new version dropped is gone', async () => {
    const dir = join(tempDir('herald-file-cache-'), 'site');
    await publish(dir, { 'api/v2/incidents.json': incidents('v1'), 'gone.json': '{}' });
    const cache = new SiteFileCache(dir, 0);
    await cache.get('api/v2/incidents.json', 'br');
    expect((await cache.get('gone.json', null))!.body.toString()).toBe('{}');
    await publish(dir, { 'api/v2/incidents.json': incidents('v2') });
    expect(brotliDecompressSync((await cache.get('api/v2/incidents.json', 'br'))!.body).toString()).toBe(
      incidents('v2'),
    );
    expect(await cache.get('gone.json', null)).toBeNull();
  });

  it('a version pruned while it was current is read through the link instead, and hashed here', async () => {
    const dir = join(tempDir('herald-file-cache-'), 'site');
    await publish(dir, { 'a.txt': 'a1', 'b.txt': 'b1' });
    const cache = new SiteFileCache(dir, 60_000); // holds on to the first version for the whole test
    expect((await cache.get('a.txt', null))!.body.toString()).toBe('a1');
    const first = join(dirname(dir), readlinkSync(dir));
    // Two more versions, and the first is pruned as commitTree does once it is old enough.
    await publish(dir, { 'a.txt': 'a2', 'b.txt': 'b2' });
    await publish(dir, { 'a.txt': 'a3', 'b.txt': 'b3' });
    rmSync(first, { recursive: true });
    const b = (await cache.get('b.txt', null))!;
    expect(b.body.toString()).toBe('b3');
    expect(b.etag).toBe(tag('b3'));
  });

  it('a plain directory (no version link) is read, and hashed, on every request, and its files go as stored', async () => {
    const dir = tempDir('herald-file-cache-plain-');
    writeFileSync(join(dir, 'index.html'), 'one');
    writeFileSync(join(dir, 'big.json'), incidents('plain'));
    const cache = new SiteFileCache(dir, 0);
    expect(await cache.get('index.html', 'br')).toMatchObject({ coding: null, etag: tag('one') });
    expect(await cache.get('big.json', 'br')).toMatchObject({ coding: null, etag: tag(incidents('plain')) });
    writeFileSync(join(dir, 'index.html'), 'two');
    expect((await cache.get('index.html', null))!.body.toString()).toBe('two');
    expect(await cache.get('missing.html', null)).toBeNull();
  });
});

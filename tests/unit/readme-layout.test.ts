import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's layout names every folder of src/ (at every depth), every folder of tests/ and every top-level
// folder, so a newcomer finds where a thing lives and a new folder cannot go unexplained.

const ROOT = resolve(import.meta.dirname, '../..');

/** The folders the layout's tree names, as paths (`src/store/migrations`), and its text. */
function documented(): { paths: Set<string>; text: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Layout$/m)[1];
  if (!section) throw new Error('README.md has no "## Layout" section');
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the Layout section has no tree in a code block');
  const paths = new Set<string>();
  const stack: string[] = [];
  for (const line of block.split('\n')) {
    const match = /^( *)(\S+\/)(?=\s|$)/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 2;
    stack.length = depth;
    for (const part of match[2]!.replace(/\/$/, '').split('/')) {
      stack.push(part);
      paths.add(stack.join('/'));
    }
  }
  return { paths, text: block };
}

const ignored = new Set(
  readFileSync(join(ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter(Boolean),
);
ignored.add('.git');

function folders(dir: string, depth: number): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || ignored.has(entry.name)) continue;
    const path = join(dir, entry.name);
    out.push(relative(ROOT, path));
    if (depth > 1) out.push(...folders(path, depth - 1));
  }
  return out;
}

describe("README's layout", () => {
  const { paths, text } = documented();
  const channelsLine = text.slice(text.indexOf('<name>/'), text.indexOf('chat-common/'));

  it('names every folder of src/, each channel folder on the channels line', () => {
    const missing = folders(join(ROOT, 'src'), 10).filter((path) => {
      const channel = /^src\/channels\/([^/]+)$/.exec(path)?.[1];
      if (channel && !paths.has(path)) return !new RegExp(`\\b${channel}\\b`).test(channelsLine);
      return !paths.has(path);
    });
    expect(missing).toEqual([]);
  });

  it('names every top-level folder and every folder of tests/', () => {
    const missing = [...folders(ROOT, 1), ...folders(join(ROOT, 'tests'), 1)].filter((path) => !paths.has(path));
    expect(missing).toEqual([]);
  });

  it('names no folder that does not exist', () => {
    const real = new Set([...folders(ROOT, 1), ...folders(join(ROOT, 'tests'), 1), ...folders(join(ROOT, 'src'), 10)]);
    const stale = [...paths].filter((p) => !p.includes('<') && !real.has(p));
    expect(stale).toEqual([]);
  });
});

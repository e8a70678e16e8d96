import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every relative link and image in README.md and docs/*.md points at a file that exists, every `#anchor` at a
// heading of its target, and every repository path the text names (`src/…`, `tests/…`, docs/x.md) exists:
// a moved file or a renamed heading cannot leave the docs pointing nowhere.

const ROOT = resolve(import.meta.dirname, '../..');
const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The text outside fenced code blocks (links in code are examples, not links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

function targets(markdown: string): string[] {
  const text = prose(markdown);
  const found: string[] = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push(m[1]!);
  for (const m of text.matchAll(/<img\s[^>]*src="([^"]+)"/g)) found.push(m[1]!);
  return found.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe('links in README.md and docs/', () => {
  it('every relative link and image resolves to a file, and every anchor to a heading', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      const markdown = readFileSync(join(ROOT, file), 'utf8');
      for (const target of targets(markdown)) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const absolute = path ? resolve(ROOT, dirname(file), decodeURIComponent(path)) : join(ROOT, file);
        if (!existsSync(absolute)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor && absolute.endsWith('.md') && !anchors(readFileSync(absolute, 'utf8')).has(anchor)) {
          broken.push(`${file}: ${target} (no heading #${anchor} in ${relative(ROOT, absolute)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository path named in backticks exists', () => {
    const missing: string[] = [];
    for (const file of FILES) {
      const text = prose(readFileSync(join(ROOT, file), 'utf8'));
      for (const m of text.matchAll(/`((?:src|tests|templates|bench|scripts|docs|bin)\/[^`\s]*)`/g)) {
        const path = m[1]!.replace(/[:#].*$/, '');
        // Placeholders and patterns name no one file: `templates/<name>/*.hbs`, `tests/integration/chat-`.
        if (/[<>*…]|-$/.test(path)) continue;
        if (!existsSync(join(ROOT, path))) missing.push(`${file}: ${m[1]}`);
      }
      // Docs named in plain text, "(docs/alerts.md)".
      for (const m of text.matchAll(/(?<![\w/`])(docs\/[\w-]+\.md)\b/g)) {
        if (!existsSync(join(ROOT, m[1]!))) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the check sees links at all (README and docs link to each other)', () => {
    const all = FILES.flatMap((f) => targets(readFileSync(join(ROOT, f), 'utf8')));
    expect(all.filter((t) => t.includes('.md')).length).toBeGreaterThan(3);
    expect(all.filter((t) => t.endsWith('.png')).length).toBeGreaterThan(10);
  });
});

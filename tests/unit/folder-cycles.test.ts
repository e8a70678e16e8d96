import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cyclePath, cycles, fileEdges, folderEdges, specifiers } from '../helpers/import-graph.js';

// Folders of src/ depend on each other one way: src/app (the composition root) may import anything, nothing but
// the entry points imports src/app, and no two folders import each other, directly or around a loop.

const SRC = resolve(import.meta.dirname, '../../src');

/** Each folder cycle as one readable loop (the shortest through each folder in it), with the imports that close it. */
function folderCycles(srcDir: string): string[] {
  const byEdge = folderEdges(fileEdges(srcDir));
  const pairs = [...byEdge.keys()].map((k) => k.split(' -> ') as [string, string]);
  const loops = new Map<string, string>();
  for (const group of cycles([], pairs)) {
    for (const start of group) {
      const loop = cyclePath(start, pairs)!;
      const key = [...new Set(loop)].sort().join(',');
      if (loops.has(key)) continue;
      const via = loop.slice(1).map((to, i) => {
        const first = byEdge.get(`${loop[i]} -> ${to}`)![0]!;
        return `${first.from} imports ${first.to}`;
      });
      loops.set(key, `${loop.join(' -> ')} (${via.join('; ')})`);
    }
  }
  return [...loops.values()];
}

describe('folder import graph of src/', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'herald-cycles-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const tree = (name: string, files: Record<string, string>) => {
    const root = join(scratch, name);
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), source);
    }
    return root;
  };

  it('reads every kind of import: static, type-only, re-export, dynamic and typeof import()', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('./e.js');",
      "type F = typeof import('./f.js');",
      "import g = require('./g.js');",
    ].join('\n');
    expect(specifiers('x.ts', source)).toEqual(['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js', './g.js']);
  });

  it('names a cycle made only of type imports, and one closed by a dynamic import', () => {
    const types = tree('types', {
      'one/a.ts': "import type { B } from '../two/b.js';\nexport type A = B;",
      'two/b.ts': "import type { C } from '../three/c.js';\nexport type B = C;",
      'three/c.ts': "import type { A } from '../one/a.js';\nexport type C = A | 1;",
    });
    expect(folderCycles(types)).toEqual([
      'one -> two -> three -> one (one/a.ts imports two/b.ts; two/b.ts imports three/c.ts; three/c.ts imports one/a.ts)',
    ]);
    const dynamic = tree('dynamic', {
      'app/root.ts': "export const load = () => import('../web/routes.js');",
      'web/routes.ts': "import type { load } from '../app/root.js';\nexport type L = typeof load;",
      'lib/leaf.ts': 'export const x = 1;',
    });
    expect(folderCycles(dynamic)).toEqual([
      'app -> web -> app (app/root.ts imports web/routes.ts; web/routes.ts imports app/root.ts)',
    ]);
  });

  it('finds nothing in a tree whose folders import one way', () => {
    const clean = tree('clean', {
      'app/root.ts': "import { r } from '../web/routes.js';\nimport { x } from '../lib/leaf.js';\nexport { r, x };",
      'web/routes.ts': "import { x } from '../lib/leaf.js';\nexport const r = x;",
      'lib/leaf.ts': "import { y } from './inner/y.js';\nexport const x = y;",
      'lib/inner/y.ts': "import { x } from '../leaf.js';\nexport const y = 1; export const z = () => x;",
    });
    expect(folderCycles(clean)).toEqual([]);
  });

  it('has no cycle between the folders of src/', () => {
    expect(folderCycles(SRC)).toEqual([]);
  });

  it('leaves src/app to the entry points: only src/cli imports the composition root', () => {
    const importers = [...folderEdges(fileEdges(SRC)).keys()].filter((k) => k.endsWith(' -> app'));
    expect(importers).toEqual(['cli -> app']);
  });
});

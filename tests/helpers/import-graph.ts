import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// The import graph of src/, read with the TypeScript parser: static imports (`import type` included), re-exports,
// `import('…')` calls and `typeof import('…')` types all count, since each ties one module to another.

export interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier one file's source names. */
export function specifiers(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const literal = (node: ts.Node | undefined) => {
    if (node !== undefined && ts.isStringLiteralLike(node)) found.push(node.text);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      literal(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      literal(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The file a relative specifier names (`./x.js` is `./x.ts` on disk), or undefined for packages. */
function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`];
  candidates.push(join(base, 'index.ts'));
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return c;
  throw new Error(`${fromFile}: cannot resolve import '${spec}'`);
}

/** File-level edges between the modules under `srcDir`, as paths relative to it (`channels/registry.ts`). */
export function fileEdges(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(srcDir)) {
    for (const spec of specifiers(file, readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(file, spec);
      if (target === undefined) continue;
      const to = relative(srcDir, target);
      if (to.startsWith('..')) continue;
      edges.push({ from: relative(srcDir, file).split(sep).join('/'), to: to.split(sep).join('/') });
    }
  }
  return edges;
}

/** The folder a module belongs to: the first path segment under src/ (a file directly in src/ is its own). */
export const folderOf = (path: string) => path.split('/')[0]!.replace(/\.m?ts$/, '');

/** Folder-level edges, each with the file imports that make it up. */
export function folderEdges(edges: ImportEdge[]): Map<string, ImportEdge[]> {
  const byEdge = new Map<string, ImportEdge[]>();
  for (const e of edges) {
    const from = folderOf(e.from);
    const to = folderOf(e.to);
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    byEdge.set(key, [...(byEdge.get(key) ?? []), e]);
  }
  return byEdge;
}

/** Strongly connected components with more than one node (or a self-loop): every cycle lives in one of these. */
export function cycles(nodes: Iterable<string>, edges: Array<[string, string]>): string[][] {
  const adjacency = new Map<string, string[]>();
  for (const n of nodes) adjacency.set(n, []);
  for (const [a, b] of edges) {
    if (!adjacency.has(a)) adjacency.set(a, []);
    if (!adjacency.has(b)) adjacency.set(b, []);
    adjacency.get(a)!.push(b);
  }
  // Tarjan's algorithm.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of adjacency.get(v)!) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || adjacency.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of adjacency.keys()) if (!indices.has(v)) connect(v);
  return found;
}

/** One shortest cycle through `start` inside its component, written `a -> b -> a`. */
export function cyclePath(start: string, edges: Array<[string, string]>): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) next.set(a, [...(next.get(a) ?? []), b]);
  const parent = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = parent.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return undefined;
}

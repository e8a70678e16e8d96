import { resolve } from 'node:path';
import { cyclePath, cycles, fileEdges, folderEdges } from './import-graph.js';

// Prints the folder-level import graph of src/ and its cycles:
//   node --import tsx tests/helpers/print-import-graph.ts [--files]

const src = resolve(import.meta.dirname, '../../src');
const files = fileEdges(src);
const folders = folderEdges(files);
const pairs = [...folders.keys()].map((k) => k.split(' -> ') as [string, string]);
const showFiles = process.argv.includes('--files');

console.log(`folder edges (${folders.size}):`);
for (const [key, via] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`  ${key}  (${via.length} import${via.length === 1 ? '' : 's'})`);
  if (showFiles) for (const e of via) console.log(`      ${e.from} -> ${e.to}`);
}
const folderCycles = cycles([], pairs);
console.log(`folder cycles (${folderCycles.length} strongly connected groups):`);
for (const group of folderCycles) {
  console.log(`  {${group.join(', ')}}`);
  for (const node of group) {
    const path = cyclePath(node, pairs);
    if (path) console.log(`      ${path.join(' -> ')}`);
  }
}
const filePairs = files.map((e) => [e.from, e.to] as [string, string]);
const fileCycles = cycles([], filePairs);
console.log(`file cycles (${fileCycles.length} strongly connected groups):`);
for (const group of fileCycles) console.log(`  {${group.join(', ')}}`);

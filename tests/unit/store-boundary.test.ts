import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// All SQL lives in src/store: the rest of Herald calls store functions named for what they do, and never imports
// kysely or builds a query itself. This test reads every source file outside src/store and fails on either.

const ROOT = resolve(import.meta.dirname, '../..');

/** Kysely's ways into the database; names no other library Herald uses has on its objects. */
const QUERY_METHODS = new Set([
  'selectFrom',
  'selectNoFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
  'withRecursive',
  'executeQuery',
]);

interface Violation {
  file: string;
  line: number;
  what: string;
}

/** Kysely imports, query-builder calls, `db.transaction()` and `sql` templates in one file's source. */
function queryBuilderUses(file: string, source: string): Violation[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Violation[] = [];
  const add = (node: ts.Node, what: string) =>
    found.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, what });
  const isKysely = (specifier: ts.Node | undefined) =>
    specifier !== undefined && ts.isStringLiteral(specifier) && /^kysely(\/|$)/.test(specifier.text);
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && isKysely(node.moduleSpecifier))
      add(node, "imports 'kysely'");
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && isKysely(node.argument.literal))
      add(node, "imports 'kysely'");
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      if (isKysely(node.arguments[0])) add(node, "imports 'kysely'");
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const name = node.expression.name.text;
      if (QUERY_METHODS.has(name)) add(node, `calls .${name}()`);
      // Kysely's transaction() takes no argument (better-sqlite3's takes a function).
      if (name === 'transaction' && node.arguments.length === 0) add(node, 'calls .transaction()');
    } else if (ts.isTaggedTemplateExpression(node)) {
      const tag = node.tag.getText(sf);
      if (/^sql\b/.test(tag)) add(node, 'builds a sql`…` template');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [relative(ROOT, path).split('\\').join('/')] : [];
  });
}

const outsideStore = sourceFiles(join(ROOT, 'src')).filter((file) => !file.startsWith('src/store/'));
const usesByFile = new Map(
  outsideStore.map((file) => [file, queryBuilderUses(file, readFileSync(join(ROOT, file), 'utf8'))]),
);
const usesIn = (file: string) => usesByFile.get(file) ?? [];

describe('SQL lives in src/store', () => {
  it('finds kysely imports, query-builder calls, transactions and sql templates', () => {
    const source = [
      "import { sql } from 'kysely';",
      "import type { Kysely } from 'kysely';",
      'type Db = import("kysely").Kysely<unknown>;',
      'const rows = await db',
      "  .selectFrom('incidents')",
      '  .selectAll()',
      '  .execute();',
      "await herald.store.db.deleteFrom('subscribers').execute();",
      'await db.transaction().execute(async (tx) => tx);',
      'await sql`select 1`.execute(db);',
      'sqlite.transaction(() => undefined);',
      "const label = `select ${'x'}`;",
    ].join('\n');
    expect(queryBuilderUses('example.ts', source).map((v) => `${v.line}: ${v.what}`)).toEqual([
      "1: imports 'kysely'",
      "2: imports 'kysely'",
      "3: imports 'kysely'",
      '4: calls .selectFrom()',
      '8: calls .deleteFrom()',
      '9: calls .transaction()',
      '10: builds a sql`…` template',
    ]);
  });

  it('no file outside src/store imports kysely or builds a query', () => {
    const violations = outsideStore.flatMap(usesIn);
    expect(
      violations.map((v) => `${v.file}:${v.line} ${v.what}: move it into a src/store function named for what it does`),
    ).toEqual([]);
  });
});

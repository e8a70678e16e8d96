import { type CompiledQuery, type Compilable, type QueryResult, createQueryId } from 'kysely';
import type { Executor } from './executor.js';

/** Stands in for a parameter while the query is built once; never a value a caller could send. */
const MARK = '\u0000herald-param:';

interface Template {
  compiled: CompiledQuery;
  /** Per compiled parameter: the caller's parameter it takes, or the constant the builder put there. */
  slots: Array<{ param: string } | { value: unknown }>;
}

/**
 * A query built and compiled once per dialect (and shape), then run with each call's values. Kysely otherwise
 * builds, freezes and compiles the whole query tree on every call: on the per-update path (publish, claim,
 * record) that was about a seventh of the process's time.
 *
 * `build` must use its parameters as opaque values: placed in the query, never compared, combined or
 * serialised (that would bake the first call's answer into every later one). A parameter that reaches the SQL
 * in any other form than itself is refused when the template is made. Queries whose shape depends on the values
 * (an optional column, a list's length) pass `shapeOf`, and each shape gets its own template.
 */
export function prepared<P extends Record<string, unknown>>(
  build: (db: Executor, params: P) => Compilable<unknown>,
  shapeOf?: (params: P) => string,
) {
  const templates = new WeakMap<object, Map<string, Template>>();
  return async function run<R>(db: Executor, params: P): Promise<QueryResult<R>> {
    // The adapter is one object per Kysely instance and its transactions: it stands for the dialect here, and a
    // closed instance's templates go with it.
    const adapter = db.getExecutor().adapter;
    let byShape = templates.get(adapter);
    if (!byShape) templates.set(adapter, (byShape = new Map()));
    const shape = shapeOf?.(params) ?? '';
    let template = byShape.get(shape);
    if (!template) byShape.set(shape, (template = makeTemplate(db, build, params)));
    const parameters = template.slots.map((slot) => ('param' in slot ? params[slot.param] : slot.value));
    return db.executeQuery<R>({ ...template.compiled, parameters, queryId: createQueryId() });
  };
}

/** The SQL of every template made so far: a bounded set (one per query and shape), see `isTemplateSql`. */
const templateSql = new Set<string>();

/**
 * Whether `sql` is a template's text. PostgreSQL connections keep these as named server-side statements (see
 * store/db.ts): parsed and planned once per connection instead of on every call. Other SQL is not named, so a
 * query whose text varies never fills a connection with statements.
 */
export const isTemplateSql = (sql: string): boolean => templateSql.has(sql);

function makeTemplate<P extends Record<string, unknown>>(
  db: Executor,
  build: (db: Executor, params: P) => Compilable<unknown>,
  params: P,
): Template {
  const marked = Object.fromEntries(Object.keys(params).map((name) => [name, `${MARK}${name}`])) as unknown as P;
  const compiled = build(db, marked).compile();
  if (compiled.sql.includes(MARK)) throw new Error('prepared query: a parameter was placed in the SQL text itself');
  const slots = compiled.parameters.map((value) => {
    if (typeof value === 'string' && value.includes(MARK)) {
      const name = value.slice(MARK.length);
      if (!value.startsWith(MARK) || !(name in params))
        throw new Error(`prepared query: a parameter was used inside a computed value (${JSON.stringify(value)})`);
      return { param: name };
    }
    return { value };
  });
  templateSql.add(compiled.sql);
  return { compiled, slots };
}

/**
 * A list as prepared parameters (`${name}0`, `${name}1` …), for `in (…)`: pass `shapeOf: listShape(name)` so
 * each length gets its own template, and read the list back in the builder with `listParam`.
 */
export function listParams(name: string, values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((value, i) => [`${name}${i}`, value]));
}

export function listParam(params: Record<string, unknown>, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; `${name}${i}` in params; i++) values.push(params[`${name}${i}`] as string);
  return values;
}

export const listShape = (name: string) => (params: Record<string, unknown>) => String(listParam(params, name).length);

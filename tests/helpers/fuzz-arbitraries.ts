import fc from 'fast-check';
import type { z } from 'zod';

// fast-check arbitraries derived from the zod input schemas (src/domain/schemas.ts) by walking them: for each
// field, values the schema accepts and values it must refuse (wrong type, wrong enum member, missing, unknown
// extra field, too long, unicode, nested garbage). Fields whose meaning is outside the schema (ids that must
// exist, channel names that must be enabled) take their valid values from `FuzzContext`.

/**
 * Numbers of runs: bounded for CI. HERALD_FUZZ_RUNS=N runs N cases of each single-request property and
 * `share` × N of the costlier ones (sequences, idempotency, CLI); tests then get `fuzzTimeout` to finish.
 */
export const fuzzRuns = (ciDefault: number, share = 1) =>
  process.env.HERALD_FUZZ_RUNS ? Math.max(1, Math.round(Number(process.env.HERALD_FUZZ_RUNS) * share)) : ciDefault;
export const fuzzTimeout = process.env.HERALD_FUZZ_RUNS ? 60 * 60_000 : 120_000;

export interface FuzzContext {
  componentIds: () => string[];
  channels: string[];
  /** Ids and names of the incident templates that exist: valid values of a `template` field. */
  templates?: () => string[];
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, string>;
  format?: string;
  pattern?: RegExp;
  checks?: Array<{
    _zod: { def: { check: string; minimum?: number; maximum?: number; format?: string; pattern?: RegExp } };
  }>;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Optional/nullable wrappers peeled off: the schema a present, non-null value must satisfy. */
export function unwrap(schema: z.ZodType): { core: z.ZodType; optional: boolean; nullable: boolean } {
  let core = schema;
  let optional = false;
  let nullable = false;
  for (;;) {
    const def = defOf(core);
    if (def.type === 'optional') optional = true;
    else if (def.type === 'nullable') nullable = true;
    else return { core, optional, nullable };
    core = def.innerType!;
  }
}

function lengths(def: Def): { min: number; max: number; format?: string; pattern?: RegExp } {
  let min = 0;
  let max = Infinity;
  let format = def.format;
  let pattern = def.pattern;
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'min_length') min = c.minimum ?? min;
    if (c.check === 'max_length') max = c.maximum ?? max;
    if (c.check === 'string_format') {
      format = c.format;
      pattern = c.pattern;
    }
  }
  return { min, max, format, pattern };
}

export function objectShape(schema: z.ZodType): Record<string, z.ZodType> {
  const def = defOf(unwrap(schema).core);
  if (def.type !== 'object') throw new Error(`not an object schema: ${def.type}`);
  return def.shape!;
}

export const requiredKeys = (schema: z.ZodType) =>
  Object.entries(objectShape(schema))
    .filter(([, s]) => !unwrap(s).optional)
    .map(([k]) => k);

const printable = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const isoTime = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** A value the schema accepts (as far as the schema alone can tell), for the field `name`. */
export function validValue(schema: z.ZodType, ctx: FuzzContext, name = ''): fc.Arbitrary<unknown> {
  const { core, nullable } = unwrap(schema);
  const base = validCore(core, ctx, name);
  return nullable ? fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
}

function validCore(schema: z.ZodType, ctx: FuzzContext, name: string): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string': {
      const { min, max, format, pattern } = lengths(def);
      if (format === 'email')
        return fc
          .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.constantFrom('example.com', 'example.org'))
          .map(([l, d]) => `${l}@${d}`);
      if (format === 'url') return fc.stringMatching(/^[a-z0-9]{1,12}$/).map((p) => `https://hooks.example.com/${p}`);
      if (format === 'datetime') return isoTime;
      if (format === 'regex' && pattern) return fc.stringMatching(pattern);
      if (name === 'channels' && ctx.channels.length > 0) return fc.constantFrom(...ctx.channels);
      if (name === 'template' && ctx.templates)
        return fc.constant(null).chain(() => {
          const known = ctx.templates!();
          return known.length === 0 ? fc.constant('none-yet') : fc.constantFrom(...known);
        });
      const hi = Math.min(max, 80);
      return fc
        .string({ unit: 'grapheme', minLength: Math.max(min, 1), maxLength: Math.max(hi, 1) })
        .filter((s) => s.trim().length >= min && s.length <= max);
    }
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries!));
    case 'boolean':
      return fc.boolean();
    case 'number':
      return fc.integer({ min: 0, max: 1000 });
    case 'array': {
      const { min } = lengths(def);
      if (name === 'components') {
        return fc.constant(null).chain((): fc.Arbitrary<string[]> => {
          const ids = ctx.componentIds();
          return ids.length === 0
            ? fc.constant<string[]>([])
            : fc.uniqueArray(fc.constantFrom(...ids), {
                minLength: Math.min(min, ids.length),
                maxLength: Math.min(3, ids.length),
              });
        });
      }
      if (name === 'channels')
        return fc.uniqueArray(fc.constantFrom(...ctx.channels), {
          minLength: Math.max(min, 1),
          maxLength: ctx.channels.length,
        });
      return fc.array(validValue(def.element!, ctx, name), { minLength: min, maxLength: Math.max(min, 3) });
    }
    case 'record': {
      const value = validValue(def.valueType!, ctx);
      if (name === 'components') {
        return fc.constant(null).chain(() => {
          const ids = ctx.componentIds();
          return ids.length === 0 ? fc.constant({}) : fc.dictionary(fc.constantFrom(...ids), value, { maxKeys: 3 });
        });
      }
      return fc.dictionary(printable, value, { maxKeys: 3 });
    }
    case 'object':
      return validObject(schema, ctx);
    default:
      return fc.anything();
  }
}

/** An object with every required field and a random choice of the optional ones, each valid. */
export function validObject(schema: z.ZodType, ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> {
  const shape = objectShape(schema);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, field] of Object.entries(shape)) model[key] = validValue(field, ctx, key);
  return fc.record(model, { requiredKeys: requiredKeys(schema) }) as fc.Arbitrary<Record<string, unknown>>;
}

/** A value of another JSON type than the field's. */
function wrongType(schema: z.ZodType): fc.Arbitrary<unknown> {
  const { core, nullable } = unwrap(schema);
  const type = defOf(core).type;
  const options: Array<fc.Arbitrary<unknown>> = [];
  if (type !== 'string' && type !== 'enum') options.push(fc.string({ maxLength: 20 }));
  if (type !== 'number') options.push(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e308, -0, 2 ** 53 + 1)));
  if (type !== 'boolean') options.push(fc.boolean());
  if (type !== 'array') options.push(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }));
  if (type !== 'object' && type !== 'record')
    options.push(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }));
  if (!nullable) options.push(fc.constant(null));
  return fc.oneof(...options);
}

/** Strings that stress a string field: over its limit, empty, blank, control characters, any unicode. */
function nastyString(schema: z.ZodType): fc.Arbitrary<string> {
  const { max } = lengths(defOf(unwrap(schema).core));
  const over = Number.isFinite(max) ? max + 1 : 300_000;
  return fc.oneof(
    fc.integer({ min: over, max: over + 50 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: 1, max: 20 }).map((n) => 'é'.repeat(Math.ceil(over / 2) + n)),
    fc.constantFrom(
      '',
      ' ',
      '\t\n',
      '\u0000',
      '\u200b',
      '\ud800',
      '🙂'.repeat(200),
      '<script>alert(1)</script>',
      '${{7*7}}',
      '{{title}}',
      '../../etc/passwd',
      "'; DROP TABLE incidents; --",
    ),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
  );
}

export type Mutation = { kind: string; body: unknown };

/**
 * Bodies built from a valid one by one or more mutations of the schema's fields. Some mutations keep the body
 * valid (unicode in a free-text field); the properties hold either way.
 */
export function mutatedObject(schema: z.ZodType, ctx: FuzzContext): fc.Arbitrary<Mutation> {
  const shape = objectShape(schema);
  const keys = Object.keys(shape);
  const required = requiredKeys(schema);
  const enumKeys = keys.filter((k) => ['enum'].includes(defOf(unwrap(shape[k]!).core).type));
  const stringKeys = keys.filter((k) => defOf(unwrap(shape[k]!).core).type === 'string');
  type Edit = { kind: string; edit: (o: Record<string, unknown>) => void };
  const candidates: Array<fc.Arbitrary<Edit> | false> = [
    required.length > 0 &&
      fc
        .constantFrom(...required)
        .map((k) => ({ kind: `missing ${k}`, edit: (o: Record<string, unknown>) => void delete o[k] })),
    fc.constantFrom(...keys).chain((k) =>
      wrongType(shape[k]!).map((v) => ({
        kind: `wrong type ${k}`,
        edit: (o: Record<string, unknown>) => void (o[k] = v),
      })),
    ),
    enumKeys.length > 0 &&
      fc.constantFrom(...enumKeys).chain((k) =>
        fc
          .oneof(
            fc.string({ maxLength: 30 }),
            fc.constantFrom('RESOLVED', 'Investigating', 'resolved ', 'major-outage', 'ok'),
          )
          .filter((v) => !Object.values(defOf(unwrap(shape[k]!).core).entries!).includes(v))
          .map((v) => ({ kind: `wrong enum ${k}`, edit: (o: Record<string, unknown>) => void (o[k] = v) })),
      ),
    fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((k) => !keys.includes(k) && k !== '__proto__')
      .chain((k) =>
        fc
          .jsonValue({ maxDepth: 2 })
          .map((v) => ({ kind: `unknown field ${k}`, edit: (o: Record<string, unknown>) => void (o[k] = v) })),
      ),
    fc.constantFrom('__proto__', 'constructor', 'prototype').map((k) => ({
      kind: `prototype key ${k}`,
      edit: (o: Record<string, unknown>) =>
        void Object.defineProperty(o, k, {
          value: { polluted: true },
          enumerable: true,
          configurable: true,
          writable: true,
        }),
    })),
    stringKeys.length > 0 &&
      fc.constantFrom(...stringKeys).chain((k) =>
        nastyString(shape[k]!).map((v) => ({
          kind: `nasty string ${k}`,
          edit: (o: Record<string, unknown>) => void (o[k] = v),
        })),
      ),
    fc
      .constantFrom(...keys)
      .chain((k) =>
        fc
          .anything({ maxDepth: 3, withNullPrototype: true, withBigInt: false })
          .map((v) => ({ kind: `garbage ${k}`, edit: (o: Record<string, unknown>) => void (o[k] = v) })),
      ),
    keys.includes('components') &&
      fc
        .oneof(
          fc.dictionary(fc.string({ maxLength: 70 }), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }),
          fc.array(fc.string({ maxLength: 70 }), { minLength: 1, maxLength: 3 }),
        )
        .map((v) => ({ kind: 'unknown component ids', edit: (o: Record<string, unknown>) => void (o.components = v) })),
    keys.includes('channels') &&
      fc
        .oneof(fc.constant([]), fc.array(fc.string({ maxLength: 70 }), { minLength: 1, maxLength: 3 }))
        .map((v) => ({ kind: 'bad channels', edit: (o: Record<string, unknown>) => void (o.channels = v) })),
  ];
  const one = fc.oneof(...candidates.filter((a): a is fc.Arbitrary<Edit> => a !== false));
  return fc.tuple(validObject(schema, ctx), fc.array(one, { minLength: 1, maxLength: 3 })).map(([body, edits]) => {
    const copy = { ...body };
    for (const e of edits) e.edit(copy);
    return { kind: edits.map((e) => e.kind).join(' + '), body: copy };
  });
}

/** A raw HTTP body with its content type: JSON of any shape, broken JSON, other media types. */
export interface RawBody {
  kind: string;
  payload: string | undefined;
  contentType: string | undefined;
}

export const json = (kind: string, value: unknown): RawBody => ({
  kind,
  payload: JSON.stringify(value),
  contentType: 'application/json',
});

/** Bodies that are not a JSON object at all. */
export const notAnObjectBody: fc.Arbitrary<RawBody> = fc.oneof(
  fc
    .oneof(
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
    )
    .map((v) => json('JSON non-object', v)),
  fc
    .oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom(
        '{',
        '{"title": "t", ',
        '{"title": "t"}}',
        "{'title': 't'}",
        '{"title": NaN}',
        'undefined',
        '\u0000',
        '{"a":1,"a":2',
        '[',
        '"',
      ),
    )
    .filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    })
    .map((s) => ({ kind: 'invalid JSON text', payload: s, contentType: 'application/json' })),
  fc.constant<RawBody>({ kind: 'empty JSON body', payload: '', contentType: 'application/json' }),
  fc.constant<RawBody>({
    kind: 'oversized body (> 1 MiB)',
    payload: JSON.stringify({ title: 't', message: 'x'.repeat(1024 * 1024 + 10) }),
    contentType: 'application/json',
  }),
  fc.constant<RawBody>({ kind: 'no body', payload: undefined, contentType: undefined }),
  fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/json; charset=latin1',
        'APPLICATION/JSON',
        'application/jsonx',
        'application/x-www-form-urlencoded',
        'text/html',
        '',
      ),
      fc.string({ maxLength: 80 }),
    )
    .map(([type, s]) => ({ kind: `content-type ${type || '(empty)'}`, payload: s, contentType: type })),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }).map((o) => ({
    kind: 'form body',
    payload: new URLSearchParams(o).toString(),
    contentType: 'application/x-www-form-urlencoded',
  })),
);

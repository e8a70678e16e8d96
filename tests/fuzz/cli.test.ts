import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Command, CommanderError } from 'commander';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_STATUSES, INCIDENT_IMPACTS, INCIDENT_STATUSES } from '../../src/domain/enums.js';
import { CliError } from '../../src/cli/client.js';
import { buildProgram } from '../../src/cli/main.js';
import { ConfigError } from '../../src/config/env.js';
import { fuzzRuns, fuzzTimeout } from '../helpers/fuzz-arbitraries.js';
import { TEST_TOKEN, type TestHerald, startTestHerald } from '../helpers/herald.js';
import { recordingChannel } from '../helpers/recording-channel.js';

// Fuzzing the client commands' argv in-process: buildProgram() with exitOverride, its output captured, and
// fetch answered by the real app through inject() (no sockets). Whatever the argv, the CLI either sends a
// well-formed request or stops with a clear error — one line for its own errors, commander's `error: …` line
// for usage errors — and never with an uncaught exception or a stack trace.

const SERVER = 'http://127.0.0.1:39999';
const BIN = resolve(import.meta.dirname, '../../bin/herald.mjs');

/** argv can hold any text but NUL (execve cannot pass it). */
const argText = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        '-',
        '--',
        '-x',
        '--json',
        '--title',
        'a\nb',
        'line1\r\nline2',
        '=',
        'a=b=c',
        '%',
        '../..',
        'x'.repeat(300),
        '🙂',
        '${HOME}',
        '$(id)',
      ),
    },
  )
  .filter((s) => !s.includes('\u0000'));

type Known = { component: string[]; incident: string[]; update: string[]; template: string[] };
type IdPick = { known: keyof Known; index: number } | { text: string };
const idPick = (kind: keyof Known): fc.Arbitrary<IdPick> =>
  fc.oneof(
    fc.nat().map((index) => ({ known: kind, index })),
    argText.map((text) => ({ text })),
  );
type Token = string | IdPick | { pair: IdPick; status: string };

const componentPair = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      pair: idPick('component'),
      status: fc.oneof(fc.constantFrom(...COMPONENT_STATUSES), argText),
    }),
  },
  { weight: 1, arbitrary: argText },
);
const status = fc.oneof(fc.constantFrom(...INCIDENT_STATUSES), argText);
const impact = fc.oneof(fc.constantFrom(...INCIDENT_IMPACTS), argText);
const channels = fc.oneof(
  fc.constantFrom('recorder', 'recorder,second', 'second, recorder', ',', 'recorder,,fax'),
  argText,
);

/** An option: its flag and value tokens, or a bare flag. */
const opt = (flag: string, value?: fc.Arbitrary<Token>): fc.Arbitrary<Token[]> =>
  value ? value.map((v) => [flag, v]) : fc.constant([flag]);

interface CommandShape {
  words: string[];
  positional?: fc.Arbitrary<Token>;
  required: Array<fc.Arbitrary<Token[]>>;
  optional: Array<fc.Arbitrary<Token[]>>;
}

const COMMANDS: CommandShape[] = [
  {
    words: ['component', 'add'],
    positional: argText,
    required: [],
    optional: [opt('--group', argText), opt('--description', argText)],
  },
  { words: ['component', 'list'], required: [], optional: [] },
  {
    words: ['incident', 'open'],
    required: [opt('--title', argText), opt('--message', argText)],
    optional: [
      opt('--template', idPick('template')),
      opt('--status', status),
      opt('--impact', impact),
      opt('--component', componentPair),
      opt('--component', componentPair),
      opt('--channels', channels),
    ],
  },
  {
    words: ['incident', 'update'],
    positional: idPick('incident'),
    required: [opt('--message', argText)],
    optional: [opt('--status', status), opt('--component', componentPair), opt('--channels', channels)],
  },
  {
    words: ['incident', 'resolve'],
    positional: idPick('incident'),
    required: [opt('--message', argText)],
    optional: [],
  },
  { words: ['incident', 'list'], required: [], optional: [opt('--unresolved')] },
  { words: ['deliveries'], positional: idPick('update'), required: [], optional: [] },
  {
    words: ['subscriber', 'add'],
    required: [],
    optional: [
      opt('--email', fc.oneof(fc.constantFrom('ops@example.com', 'x@example.org'), argText)),
      opt('--phone', fc.oneof(fc.constantFrom('+14155550100', '0123'), argText)),
      opt('--webhook', fc.oneof(fc.constantFrom('https://hooks.example.com/a', 'ftp://x'), argText)),
      opt('--component', idPick('component')),
      opt('--confirmed'),
    ],
  },
  { words: ['subscriber', 'list'], required: [], optional: [] },
  {
    words: ['template', 'add'],
    positional: argText,
    required: [opt('--title', argText), opt('--message', argText)],
    optional: [opt('--impact', impact), opt('--status', status), opt('--component', componentPair)],
  },
  { words: ['template', 'list'], required: [], optional: [] },
  { words: ['template', 'show'], positional: idPick('template'), required: [], optional: [] },
  {
    words: ['template', 'edit'],
    positional: idPick('template'),
    required: [],
    optional: [
      opt('--name', argText),
      opt('--title', argText),
      opt('--impact', fc.oneof(impact, fc.constant(''))),
      opt('--status', fc.oneof(status, fc.constant(''))),
      opt('--component', componentPair),
      opt('--no-components'),
    ],
  },
  { words: ['template', 'delete'], positional: idPick('template'), required: [], optional: [] },
];

/** A whole argv: a command, its options (some required ones dropped, extra junk, any order) and global flags. */
const argvArb: fc.Arbitrary<Token[]> = fc.constantFrom(...COMMANDS).chain((c) =>
  fc
    .record({
      positional: c.positional ? fc.option(c.positional, { nil: undefined, freq: 8 }) : fc.constant(undefined),
      required: fc.tuple(...c.required.map((r) => fc.option(r, { nil: undefined, freq: 10 }))),
      optional: fc.tuple(...c.optional.map((o) => fc.option(o, { nil: undefined, freq: 2 }))),
      // Extra tokens in 30 % of the runs, so most argv reach the server.
      junk: fc.oneof(
        { weight: 7, arbitrary: fc.constant<Token[][]>([]) },
        {
          weight: 3,
          arbitrary: fc.array(
            fc.oneof(
              fc
                .constantFrom(
                  ['--bogus'],
                  ['-z'],
                  ['--title'],
                  ['--json'],
                  ['--message'],
                  ['extra'],
                  ['--url', 'not a url'],
                  ['--url', 'http://127.0.0.1:1'],
                )
                .map((a): Token[] => [...a]),
              argText.map((t): Token[] => [t]),
            ),
            { minLength: 1, maxLength: 2 },
          ),
        },
      ),
      json: fc.boolean(),
      url: fc.option(fc.constantFrom(SERVER, `${SERVER}/`, 'not a url', 'http://127.0.0.1:1', 'http://[::1'), {
        nil: undefined,
        freq: 6,
      }),
      order: fc.array(fc.nat(), { maxLength: 12 }),
    })
    .map(({ positional, required, optional, junk, json, url, order }) => {
      const groups: Token[][] = [...required, ...optional].filter((g): g is Token[] => g !== undefined);
      groups.push(...junk);
      if (json) groups.push(['--json']);
      if (url !== undefined) groups.push(['--url', url]);
      // Shuffle the option groups (each keeps its flag and value together).
      for (let i = groups.length - 1; i > 0; i--) {
        const j = (order[i % Math.max(order.length, 1)] ?? 0) % (i + 1);
        [groups[i], groups[j]] = [groups[j]!, groups[i]!];
      }
      return [...c.words, ...(positional === undefined ? [] : [positional]), ...groups.flat()];
    }),
);

interface Sent {
  method: string;
  url: string;
  contentType?: string;
  body?: string;
}

describe('CLI argv fuzz (in-process buildProgram, fetch answered by the real app)', () => {
  let h: TestHerald;
  let known: Known;
  const realFetch = globalThis.fetch;
  const sent: Sent[] = [];
  const savedEnv = { url: process.env.HERALD_URL, token: process.env.HERALD_API_TOKEN };

  beforeAll(async () => {
    h = await startTestHerald({
      channels: ['recorder', 'second'].map((n) => recordingChannel(n).definition),
      workers: false,
    });
    const component = (await h.api('POST', '/api/v1/components', { name: 'API' })).body;
    const opened = (
      await h.api('POST', '/api/v1/incidents', {
        title: 'Open',
        message: 'x',
        components: { [component.id]: 'major_outage' },
      })
    ).body;
    const template = (
      await h.api('POST', '/api/v1/incident-templates', {
        name: 'API down',
        title: 'API unavailable',
        message: 'Looking.',
        components: { [component.id]: 'major_outage' },
      })
    ).body;
    known = {
      component: [component.id],
      incident: [opened.incident.id],
      update: [opened.update.id],
      template: [template.id, template.name],
    };
    process.env.HERALD_URL = SERVER;
    process.env.HERALD_API_TOKEN = TEST_TOKEN;
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const record: Sent = {
        method: init?.method ?? 'GET',
        url: url.toString(),
        contentType: (init?.headers as Record<string, string> | undefined)?.['content-type'],
        body: init?.body as string | undefined,
      };
      sent.push(record);
      if (url.origin !== SERVER)
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error(`connect ECONNREFUSED ${url.host}`), { code: 'ECONNREFUSED' }),
        });
      const response = await h.app.inject({
        method: record.method as 'GET',
        url: url.pathname + url.search,
        headers: init?.headers as Record<string, string>,
        ...(record.body === undefined ? {} : { payload: record.body }),
      });
      return new Response(response.statusCode === 204 ? null : response.body, {
        status: response.statusCode,
        headers: { 'content-type': String(response.headers['content-type'] ?? 'application/json') },
      });
    }) as typeof fetch;
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    process.env.HERALD_URL = savedEnv.url;
    process.env.HERALD_API_TOKEN = savedEnv.token;
    if (savedEnv.url === undefined) delete process.env.HERALD_URL;
    if (savedEnv.token === undefined) delete process.env.HERALD_API_TOKEN;
    await h?.close();
  });

  const resolveToken = (t: Token): string => {
    if (typeof t === 'string') return t;
    if ('pair' in t) return `${resolveToken(t.pair)}=${t.status}`;
    if ('known' in t) {
      const pool = known[t.known];
      return pool.length === 0 ? 'none-yet' : pool[t.index % pool.length]!;
    }
    return t.text;
  };

  /** Runs argv like main() does, with stdout/stderr captured; returns how it ended. */
  async function runCli(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const program = buildProgram();
    const configure = (c: Command) => {
      c.configureOutput({
        writeOut: (s) => void out.push(s),
        writeErr: (s) => void err.push(s),
        outputError: (s, write) => write(s),
      });
      for (const sub of c.commands) configure(sub);
    };
    configure(program);
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
    const before = sent.length;
    let outcome:
      | { kind: 'ok' }
      | { kind: 'usage'; code: string; exitCode: number }
      | { kind: 'error'; message: string }
      | { kind: 'uncaught'; error: unknown };
    try {
      await program.parseAsync(['node', 'herald', ...args]);
      outcome = { kind: 'ok' };
    } catch (error) {
      if (error instanceof CommanderError) outcome = { kind: 'usage', code: error.code, exitCode: error.exitCode };
      else if (error instanceof CliError || error instanceof ConfigError)
        outcome = { kind: 'error', message: `herald: ${error.message}` };
      else outcome = { kind: 'uncaught', error };
    } finally {
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      process.exitCode = undefined;
    }
    return { outcome, stdout: out.join(''), stderr: err.join(''), requests: sent.slice(before) };
  }

  const tally = new Map<string, number>();
  afterAll(() => console.log(`CLI outcomes: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`));

  it(
    'any argv: a well-formed request or one clear error line, never an uncaught exception or a stack trace',
    async () => {
      await fc.assert(
        fc.asyncProperty(argvArb, async (tokens) => {
          const args = tokens.map(resolveToken);
          const { outcome, stdout, stderr, requests } = await runCli(args);
          const where = `herald ${JSON.stringify(args)}`;
          tally.set(`${args[0]} ${outcome.kind}`, (tally.get(`${args[0]} ${outcome.kind}`) ?? 0) + 1);
          if (outcome.kind === 'uncaught')
            throw new Error(`${where}: uncaught ${(outcome.error as Error)?.stack ?? String(outcome.error)}`);
          expect(stderr, where).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
          if (outcome.kind === 'error') {
            expect(
              outcome.message.split('\n'),
              `${where}: error is not one line: ${JSON.stringify(outcome.message)}`,
            ).toHaveLength(1);
            expect(outcome.message).toMatch(/^herald: \S/);
          }
          if (outcome.kind === 'usage' && !/help|version/.test(outcome.code)) {
            expect(stderr.split('\n')[0], where).toMatch(/^error: /);
            expect(outcome.exitCode).not.toBe(0);
            expect(requests, `${where}: usage error after a request`).toHaveLength(0);
          }
          for (const r of requests) {
            expect(['GET', 'POST', 'PATCH', 'DELETE'], where).toContain(r.method);
            if (new URL(r.url).origin === SERVER)
              expect(new URL(r.url).pathname, where).toMatch(
                /^\/api\/v1\/(components|incidents|subscribers|updates|incident-templates)(\/[^/]+(\/(updates|deliveries))?)?$/,
              );
            if (r.body !== undefined) {
              expect(r.contentType, where).toBe('application/json');
              const body = JSON.parse(r.body) as unknown;
              expect(typeof body === 'object' && body !== null && !Array.isArray(body), where).toBe(true);
            }
          }
          if (outcome.kind === 'ok') {
            expect(requests.length, where).toBeGreaterThan(0);
            if (args.includes('--json'))
              expect(() => JSON.parse(stdout), `${where}: --json printed ${stdout.slice(0, 200)}`).not.toThrow();
          }
          if (outcome.kind === 'ok' && requests.at(-1)?.method !== 'GET') {
            // An accepted publish names its incident and update in the output; templates come and go.
            if (/^\/api\/v1\/(incidents|incident-templates)/.test(new URL(requests.at(-1)!.url).pathname))
              known = { ...known, ...(await refresh()) };
          }
        }),
        { numRuns: fuzzRuns(400, 1) },
      );
    },
    fuzzTimeout,
  );

  async function refresh(): Promise<Known> {
    const db = h.herald.store.db;
    return {
      component: (await db.selectFrom('components').select('id').execute()).map((r) => r.id),
      incident: (await db.selectFrom('incidents').select('id').execute()).map((r) => r.id),
      update: (await db.selectFrom('incident_updates').select('id').execute()).map((r) => r.id),
      template: (await db.selectFrom('incident_templates').select(['id', 'name']).execute()).flatMap((r) => [
        r.id,
        r.name,
      ]),
    };
  }

  it('an empty id is refused before any request (was a request to /api/v1/incidents//updates)', async () => {
    for (const args of [
      ['incident', 'update', ' ', '--message', 'm'],
      ['incident', 'resolve', '', '--message', 'm'],
      ['deliveries', ''],
    ]) {
      const { outcome, requests } = await runCli(args);
      expect(outcome).toEqual({
        kind: 'error',
        message: expect.stringMatching(/^herald: (ID|UPDATE_ID) must not be empty/),
      });
      expect(requests).toHaveLength(0);
    }
  });

  it('no token: one line naming HERALD_API_TOKEN, nothing sent', async () => {
    delete process.env.HERALD_API_TOKEN;
    try {
      const { outcome, requests } = await runCli(['incident', 'list']);
      expect(outcome).toEqual({
        kind: 'error',
        message: expect.stringMatching(/^herald: HERALD_API_TOKEN is not set/),
      });
      expect(requests).toHaveLength(0);
    } finally {
      process.env.HERALD_API_TOKEN = TEST_TOKEN;
    }
  });

  it('a server message holding a newline (echoed input) still prints as one line', async () => {
    const { outcome } = await runCli([
      'incident',
      'open',
      '--title',
      't',
      '--message',
      'm',
      '--channels',
      'fax\nmachine',
    ]);
    expect(outcome).toEqual({ kind: 'error', message: expect.stringMatching(/^herald: 400: channels: /) });
    expect((outcome as { message: string }).message).not.toContain('\n');
  });
});

describe('the real binary, a handful of cases (about 1 s each)', { timeout: 60_000 }, () => {
  const run = promisify(execFile);
  const herald = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, HERALD_URL: 'http://127.0.0.1:1', HERALD_API_TOKEN: TEST_TOKEN },
        timeout: 20_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it.each([
    [
      'missing required option',
      ['template', 'add', 'Name', '--message', 'm'],
      /^error: required option '--title <title>' not specified/,
    ],
    [
      'incident open with neither a title nor a template',
      ['incident', 'open', '--message', 'm'],
      /^herald: give --title and --message \(or --message-file\), or --template NAME$/,
    ],
    [
      'bad --component pair',
      ['incident', 'open', '--title', 't', '--message', 'm', '--component', 'a b=major_outage'],
      /^herald: --component 'a b=major_outage': expected ID=STATUS/,
    ],
    ['unknown option', ['incident', 'list', '--bogus'], /^error: unknown option '--bogus'/],
    ['no server', ['component', 'list'], /^herald: cannot reach Herald at http:\/\/127\.0\.0\.1:1 /],
  ])('%s', async (_name, args, first) => {
    const result = await herald(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr.split('\n')[0]).toMatch(first);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

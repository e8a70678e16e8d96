import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/env.js';

// Adding a channel to Herald is its folder, its templates and one line in the registry. This test does exactly that
// to a copy of Herald (src, templates, tests) and shows that the new channel, `pager`, is then previewed and measured
// in the console, covered by the contract suite (which would flag it until it has a fixture), and delivered through
// the pipeline, with no other file of the copy touched.

const REPO = resolve(import.meta.dirname, '../..');
// Inside the repository, so the copy resolves its packages from the repository's node_modules.
const COPY = join(REPO, 'test-artifacts', uniqueName('new-channel-'));

/** The new channel's folder: src/channels/pager/index.ts. A page of at most 160 characters to a paging gateway. */
const PAGER_CHANNEL = `import type { Channel, Measure } from '../channel.js';
import type { ChannelDefinition } from '../../config/define.js';
import { errorForHttpStatus, noAnswerError, retryAfterToMs } from '../errors.js';
import { cutNote } from '../../render/cut-note.js';
import { type Cut, countGraphemes, fitTextWithCut } from '../../render/fit.js';

export interface PagerOptions {
  name?: string;
  /** The gateway's endpoint, e.g. https://pager.example.com/v1/pages */
  url: string;
  token: string;
  timeoutMs?: number;
}

export interface Page {
  text: string;
  /** Where the message was cut to fit (null when it fit whole): the console shows it under the preview. */
  cut: Cut | null;
}

const PAGE_MAX = 160;
const pageLength = (text: string): Measure => ({
  label: 'Page length',
  value: countGraphemes(text),
  limit: PAGE_MAX,
  unit: 'characters',
});

/** A page to a paging gateway: status, title and message fitted to 160 characters, then the incident link. */
export function pager(options: PagerOptions): ChannelDefinition<Channel<Page>> {
  const name = options.name ?? 'pager';
  return {
    name,
    kind: 'pager',
    create(runtime) {
      const template = runtime.templates.compile('pager', 'page.txt.hbs');
      return {
        name,
        kind: 'pager',
        capabilities: { threads: false, audience: false, maxLength: PAGE_MAX },
        render: (ctx) => fitTextWithCut({ body: template(ctx).trim(), tail: ctx.incident.url }, PAGE_MAX),
        preview: (page) => [{ label: 'Page', text: page.text, ...(page.cut ? { cut: cutNote(page.cut) } : {}) }],
        measure: (page) => [pageLength(page.text)],
        templates: { folder: 'pager', measureText: (text) => [pageLength(text)] },
        async send(page, target) {
          let response: Response;
          try {
            response = await fetch(options.url, {
              method: 'POST',
              headers: {
                authorization: \`Bearer \${options.token}\`,
                'content-type': 'text/plain; charset=utf-8',
                'idempotency-key': target.idempotencyKey,
              },
              body: page.text,
              signal: AbortSignal.any([target.signal, AbortSignal.timeout(options.timeoutMs ?? 10_000)]),
            });
          } catch (error) {
            throw noAnswerError(\`paging gateway unreachable: \${(error as Error).message}\`, error);
          }
          const answer = await response.text();
          if (!response.ok)
            throw errorForHttpStatus(response.status, answer.slice(0, 200), retryAfterToMs(response.headers.get('retry-after')));
          return { externalId: (JSON.parse(answer) as { id: string }).id };
        },
      };
    },
  };
}
`;

/** Its template: templates/pager/page.txt.hbs. */
const PAGER_TEMPLATE = '[{{statusLabel update.status}}] {{incident.title}}: {{markdown update.message}}\n';

/** Its registry line. */
const REGISTRY_LINE = "export { pager } from './pager/index.js';\n";

/** A paging gateway on 127.0.0.1: takes pages with the right token, and can answer the next one with an error. */
async function startGateway(token: string) {
  const pages: Array<{ id: string; text: string }> = [];
  const next: Array<{ status: number; retryAfter?: number } | { delayMs: number }> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      const answer = next.shift();
      if (answer && 'delayMs' in answer) await new Promise((r) => setTimeout(r, answer.delayMs));
      else if (answer) {
        response.writeHead(answer.status, answer.retryAfter ? { 'retry-after': String(answer.retryAfter) } : {});
        return response.end(JSON.stringify({ error: `gateway says ${answer.status}` }));
      }
      if (request.headers.authorization !== `Bearer ${token}`) {
        response.writeHead(401);
        return response.end('{"error":"unknown token"}');
      }
      const page = { id: `page-${pages.length + 1}`, text: Buffer.concat(chunks).toString('utf8') };
      pages.push(page);
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: page.id }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/pages`,
    pages,
    next,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Files of `dir` (relative paths), for comparing the copy with the repository. */
function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

// ---- The copy of Herald, and the three additions.
for (const folder of ['src', 'templates', 'tests']) cpSync(join(REPO, folder), join(COPY, folder), { recursive: true });
mkdirSync(join(COPY, 'src/channels/pager'));
writeFileSync(join(COPY, 'src/channels/pager/index.ts'), PAGER_CHANNEL);
mkdirSync(join(COPY, 'templates/pager'));
writeFileSync(join(COPY, 'templates/pager/page.txt.hbs'), PAGER_TEMPLATE);
writeFileSync(
  join(COPY, 'src/channels/registry.ts'),
  readFileSync(join(REPO, 'src/channels/registry.ts'), 'utf8') + REGISTRY_LINE,
);

// The copy's own modules: its registry, its contract suite and fixtures, its test helpers (bound to its src).
type Registry = typeof import('../../src/channels/registry.js') & {
  pager(options: {
    url: string;
    token: string;
    timeoutMs?: number;
  }): import('../../src/config/define.js').ChannelDefinition;
};
const registry = (await import(join(COPY, 'src/channels/registry.ts'))) as Registry;
const contract = (await import(
  join(COPY, 'tests/contract/channel-contract.ts')
)) as typeof import('./channel-contract.js');
const { contractFixtures } = (await import(
  join(COPY, 'tests/contract/fixtures/index.ts')
)) as typeof import('./fixtures/index.js');
const heraldHelpers = (await import(join(COPY, 'tests/helpers/herald.ts'))) as typeof import('../helpers/herald.js');
const consoleHelpers = (await import(
  join(COPY, 'tests/integration/console-helpers.ts')
)) as typeof import('../integration/console-helpers.js');
const { eventually } = (await import(join(COPY, 'tests/helpers/env.ts'))) as typeof import('../helpers/env.js');

// After every suite of this file: they all run on the copy.
afterAll(() => rmSync(COPY, { recursive: true, force: true }));

describe('adding a channel: its folder, its templates, one registry line', () => {
  it('touches no other file of Herald', () => {
    const changed = ['src', 'templates', 'tests'].flatMap((folder) => {
      const ours = filesOf(join(REPO, folder));
      return filesOf(join(COPY, folder))
        .filter(
          (f) =>
            !ours.includes(f) ||
            readFileSync(join(COPY, folder, f), 'utf8') !== readFileSync(join(REPO, folder, f), 'utf8'),
        )
        .map((f) => `${folder}/${f}`);
    });
    expect(changed.sort()).toEqual([
      'src/channels/pager/index.ts',
      'src/channels/registry.ts',
      'templates/pager/page.txt.hbs',
    ]);
  });

  it('is one the contract suite walks: until it has a fixture, the suite reports it uncovered', () => {
    const fixtures: Record<string, unknown> = contractFixtures;
    expect(Object.keys(registry).filter((name) => !fixtures[name])).toEqual(['pager']);
  });
});

// With a fixture (its gateway), the new channel runs the whole shared table.
contract.channelContract('pager (a channel added to the registry)', async () => {
  const token = 'pager-token-5b1e0c';
  const gateway = await startGateway(token);
  const definition = registry.pager({ url: gateway.url, token, timeoutMs: 400 });
  const { channelRuntime } = (await import(
    join(COPY, 'tests/helpers/social-channels.ts')
  )) as typeof import('../helpers/social-channels.js');
  return {
    definition,
    channel: definition.create(channelRuntime()) as import('../../src/channels/channel.js').Channel<{ text: string }>,
    posts: async () => gateway.pages.map((p) => ({ text: p.text, id: p.id })),
    failNext(kind, options) {
      if (kind === '429')
        gateway.next.push({
          status: 429,
          retryAfter: Math.round(((options?.resetAtMs ?? Date.now()) - Date.now()) / 1000),
        });
      else gateway.next.push({ status: kind === '5xx' ? 503 : 401 });
    },
    failSlow: () => gateway.next.push({ delayMs: 1_200 }),
    forbidden: [/<script/i, /<img/i],
    secrets: [token],
    close: () => gateway.close(),
  };
});

describe('the new channel in a running Herald', () => {
  const token = 'pager-token-9c44aa';
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let h: Awaited<ReturnType<typeof heraldHelpers.startTestHerald>>;

  beforeAll(async () => {
    gateway = await startGateway(token);
    h = await heraldHelpers.startTestHerald({
      channels: [registry.pager({ url: gateway.url, token }), registry.log()],
      workers: true,
    });
    await consoleHelpers.addUser(h, 'alice', 'commander');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await gateway?.close();
  });

  it('is previewed and measured in the console, its templates listed', async () => {
    const session = await consoleHelpers.signIn(h, 'alice');
    const preview = await consoleHelpers.formPost(h, '/console/preview', session.cookie, {
      _csrf: session.csrf,
      title: 'Paging check',
      message: 'The pager shows this **update**.',
      channels: ['pager'],
    });
    expect(preview.statusCode).toBe(200);
    const article = preview.body.slice(preview.body.indexOf('data-channel="pager"'));
    expect(article).toContain('[Investigating] Paging check: The pager shows this update.');
    expect(article).toMatch(/Page length<\/dt><dd>\d+ \/ 160 characters<\/dd>/);

    const templates = await h.app.inject({
      method: 'GET',
      url: '/console/templates',
      headers: { cookie: session.cookie },
    });
    expect(templates.body).toContain('pager/page.txt.hbs');
    // A template whose output alone is over the page limit is refused, by the channel's own measure.
    const tooLong = await consoleHelpers.formPost(h, '/console/templates/save', session.cookie, {
      _csrf: session.csrf,
      kind: 'pager',
      file: 'page.txt.hbs',
      source: `{{incident.title}} ${'x'.repeat(200)}`,
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toMatch(
      /renders \d+ characters for the sample update, over channel &#x27;pager&#x27;&#x27;s limit of 160/,
    );
  });

  it('is delivered through the pipeline', async () => {
    const opened = await h.api('POST', '/api/v1/incidents', { title: 'Pages are late', message: 'Looking into it.' });
    expect(opened.status).toBe(201);
    const delivered = await eventually(async () => {
      const res = await h.api('GET', `/api/v1/updates/${opened.body.update.id}/deliveries`);
      const row = (res.body.channels as Array<{ channel: string; state: string; externalId?: string }>).find(
        (c) => c.channel === 'pager',
      );
      return row?.state === 'delivered' ? row : undefined;
    });
    expect(delivered.externalId).toBe(gateway.pages.at(-1)!.id);
    expect(gateway.pages.at(-1)!.text).toMatch(
      /^\[Investigating\] Pages are late: Looking into it\.\n\nhttps:\/\/status\.example\.test\/incidents\//,
    );
  });
});

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { UpdateContext } from '../channels/channel.js';
import { buildUpdateContext } from '../pipeline/context.js';
import { type FormBody, first } from './compose-form.js';
import type { ConsoleContext } from './console-context.js';
import { storeFrame } from './frames.js';
import { shapeRendered } from './rendered-shape.js';

const SAMPLE_ID = '01jsample0000000000000000ab';

export function sampleContext(ctx: ConsoleContext): UpdateContext {
  const at = new Date().toISOString();
  return buildUpdateContext(
    { name: ctx.herald.siteName, publicUrl: ctx.herald.env.publicUrl },
    { id: SAMPLE_ID, title: 'Elevated API error rates', status: 'identified', impact: 'major', startedAt: at, resolvedAt: null },
    {
      id: '01jsampleupdate0000000000ab',
      status: 'identified',
      message: 'We found the cause: a **bad deploy** of the checkout service. Rolling back now; see [the runbook](https://example.com/runbook).',
      createdAt: at,
      number: 2,
      components: [{ id: 'sample-api', name: 'API', status: 'partial_outage' }],
    },
  );
}

/** Template files of each channel kind, by what is on disk (never other engineers' modules). */
function templateFiles(dir: string, kind: string): string[] {
  const folder = join(dir, kind);
  if (!/^[a-z0-9_-]+$/i.test(kind) || !existsSync(folder)) return [];
  return readdirSync(folder).filter((f) => f.endsWith('.hbs')).sort();
}

/** Each channel's templates with a live preview against a sample update (read-only: edits are not saved). */
export function templatesRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { herald } = ctx;
  const dir = herald.templates.dir;

  const renderSource = (source: string, file: string) => {
    try {
      const template = herald.templates.compileSource(source, file.endsWith('.html.hbs') ? 'html' : 'text', file);
      return { output: template(sampleContext(ctx)) };
    } catch (error) {
      return { compileError: (error as Error).message };
    }
  };

  app.get('/templates', async (request, reply) => {
    const sample = sampleContext(ctx);
    const session = ctx.sessionOf(request);
    const kinds = new Set<string>();
    const channels = [];
    for (const channel of herald.channels) {
      let rendered: ReturnType<typeof shapeRendered> | undefined;
      let renderError: string | undefined;
      try {
        rendered = shapeRendered(channel, channel.render(sample));
      } catch (error) {
        renderError = (error as Error).message;
      }
      const parts = rendered
        ? await Promise.all(rendered.parts.map(async (p) => (p.html !== undefined ? { label: p.label, frameUrl: await storeFrame(ctx, session.idHash, p.html) } : p)))
        : [];
      const files = kinds.has(channel.kind)
        ? []
        : templateFiles(dir, channel.kind).map((file) => {
            const source = readFileSync(join(dir, channel.kind, file), 'utf8');
            return { file, id: `${channel.kind}-${file}`.replace(/[^a-z0-9-]/gi, '-'), source, ...renderSource(source, file) };
          });
      kinds.add(channel.kind);
      channels.push({ name: channel.name, kind: channel.kind, files, parts, metrics: rendered?.metrics ?? [], raw: rendered?.raw, warnings: rendered?.warnings ?? [], renderError });
    }
    return ctx.page(request, reply, 'templates', { title: 'Templates', channels, sampleMessage: sample.update.message });
  });

  app.post<{ Body: FormBody }>('/templates/preview', { config: { viewerMayPost: true } }, async (request, reply) => {
    const body = request.body ?? {};
    const file = first(body.file);
    const kind = first(body.kind);
    if (!templateFiles(dir, kind).includes(file)) return reply.status(400).type('text/plain; charset=utf-8').send(`kind/file: no template ${kind}/${file}`);
    const result = renderSource(first(body.source), file);
    return reply.type('text/html; charset=utf-8').send(ctx.views.fragment('template-output', result));
  });
}

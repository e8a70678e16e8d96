import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UpdateContext } from '../channels/channel.js';
import { buildUpdateContext } from '../pipeline/context.js';
import { type ShownMessage, describeUpdate, isOver, showDescribed } from './channel-view.js';
import { type FormBody, first } from './compose-form.js';
import type { ConsoleContext } from './console-context.js';
import { FrameTooLargeError, storeFrame } from './frames.js';
import {
  MAX_TEMPLATE_LENGTH,
  TemplateFileError,
  backupPath,
  hasBackup,
  restoreTemplateFile,
  saveTemplateFile,
  sourceHash,
  templateFiles,
  templatePath,
} from './template-files.js';

const SAMPLE_ID = '01jsample0000000000000000ab';

/** What a saved template takes effect on; shown on the page and after each save. */
export const TEMPLATE_RELOAD_NOTICE =
  'A saved template takes effect within about a second in every running Herald process on this machine (each one checks its template files); a version that no longer compiles is refused here, and a running process keeps its last good version.';

export function sampleContext(ctx: ConsoleContext): UpdateContext {
  const at = new Date().toISOString();
  return buildUpdateContext(
    { name: ctx.herald.siteName, publicUrl: ctx.herald.env.publicUrl },
    {
      id: SAMPLE_ID,
      title: 'Elevated API error rates',
      status: 'identified',
      impact: 'major',
      startedAt: at,
      resolvedAt: null,
    },
    {
      id: '01jsampleupdate0000000000ab',
      status: 'identified',
      message:
        'We found the cause: a **bad deploy** of the checkout service. Rolling back now; see [the runbook](https://example.com/runbook).',
      createdAt: at,
      number: 2,
      components: [{ id: 'sample-api', name: 'API', status: 'partial_outage' }],
    },
  );
}

/** The sample update plus what the other templates of a channel read (links, a maintenance). */
function sampleData(ctx: ConsoleContext) {
  const sample = sampleContext(ctx);
  const base = ctx.herald.env.publicUrl;
  const start = new Date(Date.now() + 3_600_000);
  start.setUTCMinutes(0, 0, 0);
  return {
    ...sample,
    unsubscribeUrl: `${base}/unsubscribe?token=sample`,
    confirmUrl: `${base}/subscribe/confirm?token=sample`,
    maintenance: {
      title: 'Database upgrade',
      message: 'We upgrade the primary database; the API may answer slowly for a few minutes.',
      scheduledFor: start.toISOString(),
      scheduledUntil: new Date(start.getTime() + 7_200_000).toISOString(),
      components: [{ id: 'sample-api', name: 'API', status: 'operational' }],
    },
  };
}

type Page = { notice?: string; error?: string; drafts?: Map<string, string>; open?: string };
const fileId = (kind: string, file: string) => `${kind}-${file}`.replace(/[^a-z0-9-]/gi, '-');

/**
 * Each channel's templates with a live preview against a sample update; commanders save them (validated). A
 * channel names its templates folder (`templates.folder`); the form's `kind` field carries that folder.
 */
export function templatesRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { herald } = ctx;
  const dir = herald.templates.dir;
  /** Folders whose templates may be saved: those enabled channels render from (never the console's own pages). */
  const editableKind = (kind: string) => herald.channels.some((c) => c.templates?.folder === kind);

  const renderSource = (source: string, file: string) => {
    try {
      const template = herald.templates.compileSource(source, file.endsWith('.html.hbs') ? 'html' : 'text', file);
      return { output: template(sampleData(ctx)) };
    } catch (error) {
      return { compileError: (error as Error).message };
    }
  };

  /** Why this source may not be saved, naming the file and the fix; undefined when it may. */
  const refusal = (kind: string, file: string, source: string): string | undefined => {
    if (source.trim() === '')
      return `source: ${kind}/${file} would be empty; write the template or keep the current one`;
    if (source.length > MAX_TEMPLATE_LENGTH)
      return `source: ${kind}/${file} is ${source.length} characters; the console saves at most ${MAX_TEMPLATE_LENGTH}`;
    const result = renderSource(source, file);
    if (result.compileError !== undefined)
      return `${kind}/${file} does not compile: ${result.compileError}. Fix the template; nothing was saved.`;
    for (const channel of herald.channels.filter((c) => c.templates?.folder === kind)) {
      const over = (channel.templates?.measureText?.(result.output ?? '') ?? []).find(isOver);
      if (over) {
        return `${kind}/${file} renders ${over.value} ${over.unit} for the sample update, over channel '${channel.name}''s limit of ${over.limit} (${over.label.toLowerCase()}) before anything else is added. Shorten the template; nothing was saved.`;
      }
    }
    return undefined;
  };

  const page = async (request: FastifyRequest, reply: FastifyReply, extra: Page = {}, status = 200) => {
    const sample = sampleContext(ctx);
    const session = ctx.sessionOf(request);
    const isCommander = session.user.role === 'commander';
    const folders = new Set<string>();
    const channels = [];
    for (const channel of herald.channels) {
      let shown: ShownMessage | undefined;
      let renderError: string | undefined;
      let described: ReturnType<typeof describeUpdate> | undefined;
      try {
        described = describeUpdate(channel, sample);
      } catch (error) {
        renderError = (error as Error).message;
      }
      if (described) {
        try {
          shown = await showDescribed(channel.name, described, (html) => storeFrame(ctx, session.idHash, html));
        } catch (error) {
          if (!(error instanceof FrameTooLargeError)) throw error;
          renderError = error.message;
        }
      }
      const folder = channel.templates?.folder;
      const files =
        folder === undefined || folders.has(folder)
          ? []
          : templateFiles(dir, folder).map((file) => {
              const id = fileId(folder, file);
              const onDisk = readFileSync(join(dir, folder, file), 'utf8');
              const source = extra.drafts?.get(id) ?? onDisk;
              return {
                file,
                id,
                source,
                hash: sourceHash(onDisk),
                open: extra.open === id,
                editable: isCommander,
                hasBackup: hasBackup(dir, folder, file),
                ...renderSource(source, file),
              };
            });
      if (folder !== undefined) folders.add(folder);
      channels.push({
        name: channel.name,
        kind: channel.kind,
        folder,
        files,
        parts: shown?.parts ?? [],
        measures: shown?.measures ?? [],
        warnings: shown?.warnings ?? [],
        renderError,
      });
    }
    return ctx.page(
      request,
      reply,
      'templates',
      {
        title: 'Message templates',
        channels,
        sampleMessage: sample.update.message,
        reloadNotice: TEMPLATE_RELOAD_NOTICE,
        ...extra,
      },
      status,
    );
  };

  app.get('/templates', async (request, reply) => page(request, reply));

  app.post<{ Body: FormBody }>('/templates/preview', { config: { viewerMayPost: true } }, async (request, reply) => {
    const body = request.body ?? {};
    const file = first(body.file);
    const kind = first(body.kind);
    if (!templateFiles(dir, kind).includes(file))
      return reply.status(400).type('text/plain; charset=utf-8').send(`kind/file: no template ${kind}/${file}`);
    const result = renderSource(first(body.source), file);
    return reply.type('text/html; charset=utf-8').send(ctx.views.fragment('template-output', result));
  });

  // Commander only (the guard): validate, then write atomically and keep the previous version as <file>.bak.
  app.post<{ Body: FormBody }>('/templates/save', async (request, reply) => {
    const body = request.body ?? {};
    const kind = first(body.kind);
    const file = first(body.file);
    // Browsers send a textarea's line breaks as CRLF; templates on disk use LF.
    const source = first(body.source).replace(/\r\n?/g, '\n');
    const id = fileId(kind, file);
    if (!editableKind(kind))
      return page(
        request,
        reply,
        { error: `kind: '${kind}' is not the kind of an enabled channel; only their templates can be saved here` },
        400,
      );
    const keep = { drafts: new Map([[id, source]]), open: id };
    try {
      templatePath(dir, kind, file); // an existing template of the kind, inside the templates directory
      const problem = refusal(kind, file, source);
      if (problem) return page(request, reply, { error: problem, ...keep }, 400);
      const { changed } = saveTemplateFile(dir, kind, file, source, first(body.hash) || undefined);
      request.log.info(
        { template: `${kind}/${file}`, user: ctx.sessionOf(request).user.username, changed },
        'console: template saved',
      );
      const notice = changed
        ? `Saved ${kind}/${file}; the previous version is kept as ${file}.bak (Restore previous version undoes it). ${TEMPLATE_RELOAD_NOTICE}`
        : `${kind}/${file} is unchanged; nothing was written.`;
      return page(request, reply, { notice, open: id });
    } catch (error) {
      if (error instanceof TemplateFileError)
        return page(request, reply, { error: error.message, ...keep }, error.status);
      throw error;
    }
  });

  app.post<{ Body: FormBody }>('/templates/restore', async (request, reply) => {
    const body = request.body ?? {};
    const kind = first(body.kind);
    const file = first(body.file);
    const id = fileId(kind, file);
    if (!editableKind(kind))
      return page(
        request,
        reply,
        { error: `kind: '${kind}' is not the kind of an enabled channel; only their templates can be restored here` },
        400,
      );
    try {
      const path = templatePath(dir, kind, file); // refuses anything but an existing template of the kind
      if (!hasBackup(dir, kind, file))
        throw new TemplateFileError(`${kind}/${file} has no previous version to restore`, 404);
      const problem = refusal(kind, file, readFileSync(backupPath(path), 'utf8'));
      if (problem)
        return page(request, reply, { error: `The previous version cannot be restored: ${problem}`, open: id }, 400);
      restoreTemplateFile(dir, kind, file);
      request.log.info(
        { template: `${kind}/${file}`, user: ctx.sessionOf(request).user.username },
        'console: template restored',
      );
      return page(request, reply, {
        notice: `Restored the previous version of ${kind}/${file}; the version it replaced is now ${file}.bak. ${TEMPLATE_RELOAD_NOTICE}`,
        open: id,
      });
    } catch (error) {
      if (error instanceof TemplateFileError)
        return page(request, reply, { error: error.message, open: id }, error.status);
      throw error;
    }
  });
}

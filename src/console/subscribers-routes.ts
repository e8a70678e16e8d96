import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csvToSubscribers } from '../subscribers/csv.js';
import { InputError } from '../domain/errors.js';
import { countSubscribers, searchSubscribers, toSubscriber } from '../store/subscribers-repo.js';
import { type ImportResult, importSubscribers } from '../subscribers/service.js';
import { type FormBody, first } from './compose-form.js';
import type { ConsoleContext } from './console-context.js';

type SearchQuery = { Querystring: { q?: string; kind?: string } };
const KINDS = ['email', 'sms', 'webhook'];
/** The admin API's batch size (POST /api/v1/subscribers/import takes at most 1000 rows). */
const IMPORT_BATCH = 1000;
/** Rows one paste may hold (the form body is also capped by the server's body limit). */
export const IMPORT_MAX_ROWS = 20_000;

export interface ConsoleImportResult extends ImportResult {
  rows: number;
}

/**
 * CSV text → the admin import service, in batches, with `invalid[].index` turned into the CSV's line number
 * (the header is line 1). Same columns as `herald subscriber import`: email | phone | webhook_url, components.
 */
export async function importCsv(
  deps: Parameters<typeof importSubscribers>[0],
  csv: string,
  confirmed: boolean,
): Promise<ConsoleImportResult> {
  let rows: ReturnType<typeof csvToSubscribers>;
  try {
    rows = csvToSubscribers(csv, 'the CSV');
  } catch (error) {
    throw InputError.field('csv', (error as Error).message);
  }
  if (rows.length === 0)
    throw InputError.field('csv', 'the CSV has a header but no rows; paste one subscriber per line below the header');
  if (rows.length > IMPORT_MAX_ROWS)
    throw InputError.field(
      'csv',
      `the CSV has ${rows.length} rows; paste at most ${IMPORT_MAX_ROWS} at a time, or use herald subscriber import FILE.csv`,
    );
  const total: ConsoleImportResult = { rows: rows.length, created: 0, existing: 0, suppressed: 0, invalid: [] };
  for (let start = 0; start < rows.length; start += IMPORT_BATCH) {
    const answer = await importSubscribers(deps, { subscribers: rows.slice(start, start + IMPORT_BATCH), confirmed });
    total.created += answer.created;
    total.existing += answer.existing;
    total.suppressed += answer.suppressed;
    total.invalid.push(...answer.invalid.map((i) => ({ ...i, index: start + i.index + 2 })));
  }
  return total;
}

/**
 * A CSV cell: quoted, and a leading = + - @ neutralised so a spreadsheet never runs it as a formula. Exported for
 * its unit test: no address Herald accepts starts with = or @, so the export route alone cannot show those.
 */
export function csvCell(value: string | number | boolean | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function subscribersRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { db } = ctx.herald.store;
  const filters = (query: SearchQuery['Querystring']) => {
    const q = first(query.q).trim().slice(0, 200);
    const kind = KINDS.includes(first(query.kind)) ? first(query.kind) : '';
    return { q, kind };
  };

  const page = async (
    request: FastifyRequest,
    reply: FastifyReply,
    query: SearchQuery['Querystring'],
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const { q, kind } = filters(query);
    const rows = await searchSubscribers(db, { q, kind, limit: 200 });
    return ctx.page(
      request,
      reply,
      'subscribers',
      {
        ...extra,
        title: 'Subscribers',
        q,
        kinds: KINDS.map((k) => ({ value: k, selected: k === kind })),
        subscribers: rows.map(toSubscriber).map((s) => ({ ...s, address: s.email ?? s.phone ?? s.webhookUrl })),
        counts: await countSubscribers(db),
        capped: rows.length === 200,
        exportQuery: new URLSearchParams({ ...(q ? { q } : {}), ...(kind ? { kind } : {}) }).toString(),
      },
      status,
    );
  };

  app.get<SearchQuery>('/subscribers', async (request, reply) => page(request, reply, request.query));

  // Commander only (the guard). A textarea paste (x-www-form-urlencoded): no multipart dependency.
  app.post<{ Body: FormBody }>('/subscribers/import', async (request, reply) => {
    const body = request.body ?? {};
    const csv = first(body.csv);
    const confirmed = first(body.confirmed) === '1';
    const draft = { csv, confirmed };
    if (!csv.trim())
      return page(
        request,
        reply,
        {},
        { importError: 'csv: paste the CSV, starting with a header row such as: email,components', draft },
        400,
      );
    try {
      const result = await importCsv(ctx.herald.subscriberDeps, csv, confirmed);
      request.log.info(
        {
          user: ctx.sessionOf(request).user.username,
          rows: result.rows,
          created: result.created,
          invalid: result.invalid.length,
        },
        'console: subscribers imported',
      );
      return page(
        request,
        reply,
        {},
        {
          imported: {
            ...result,
            invalidShown: result.invalid.slice(0, 200),
            invalidMore: Math.max(0, result.invalid.length - 200),
          },
        },
      );
    } catch (error) {
      if (error instanceof InputError) return page(request, reply, {}, { importError: error.message, draft }, 400);
      throw error;
    }
  });

  app.get<SearchQuery>('/subscribers.csv', async (request, reply) => {
    const { q, kind } = filters(request.query);
    const lines = ['id,kind,address,components,confirmed,confirmed_at,created_at'];
    let after: string | undefined;
    for (;;) {
      const rows = await searchSubscribers(db, { q, kind, limit: 1000, ...(after ? { after } : {}) });
      for (const s of rows.map(toSubscriber)) {
        lines.push(
          [
            s.id,
            s.kind,
            s.email ?? s.phone ?? s.webhookUrl,
            s.components.join(' '),
            s.confirmed,
            s.confirmedAt,
            s.createdAt,
          ]
            .map(csvCell)
            .join(','),
        );
      }
      if (rows.length < 1000) break;
      after = rows[rows.length - 1]!.id;
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="subscribers.csv"')
      .send(`${lines.join('\r\n')}\r\n`);
  });
}

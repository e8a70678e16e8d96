import type { FastifyInstance } from 'fastify';
import { toSubscriber } from '../store/subscribers-repo.js';
import { first } from './compose-form.js';
import type { ConsoleContext } from './console-context.js';
import { searchSubscribers } from './queries.js';
import { countSubscribers } from './reach.js';

type SearchQuery = { Querystring: { q?: string; kind?: string } };
const KINDS = ['email', 'sms', 'webhook'];

/** A CSV cell: quoted, and a leading = + - @ neutralised so a spreadsheet never runs it as a formula. */
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

  app.get<SearchQuery>('/subscribers', async (request, reply) => {
    const { q, kind } = filters(request.query);
    const rows = await searchSubscribers(db, { q, kind, limit: 200 });
    return ctx.page(request, reply, 'subscribers', {
      title: 'Subscribers',
      q,
      kinds: KINDS.map((k) => ({ value: k, selected: k === kind })),
      subscribers: rows.map(toSubscriber).map((s) => ({ ...s, address: s.email ?? s.phone ?? s.webhookUrl })),
      counts: await countSubscribers(db),
      capped: rows.length === 200,
      exportQuery: new URLSearchParams({ ...(q ? { q } : {}), ...(kind ? { kind } : {}) }).toString(),
    });
  });

  app.get<SearchQuery>('/subscribers.csv', async (request, reply) => {
    const { q, kind } = filters(request.query);
    const lines = ['id,kind,address,components,confirmed,confirmed_at,created_at'];
    let after: string | undefined;
    for (;;) {
      const rows = await searchSubscribers(db, { q, kind, limit: 1000, ...(after ? { after } : {}) });
      for (const s of rows.map(toSubscriber)) {
        lines.push([s.id, s.kind, s.email ?? s.phone ?? s.webhookUrl, s.components.join(' '), s.confirmed, s.confirmedAt, s.createdAt].map(csvCell).join(','));
      }
      if (rows.length < 1000) break;
      after = rows[rows.length - 1]!.id;
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="subscribers.csv"')
      .send(lines.join('\r\n') + '\r\n');
  });
}

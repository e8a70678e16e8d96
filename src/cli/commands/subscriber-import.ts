import { readFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { CliError } from '../client.js';
import { cliContext } from '../context.js';

type ImportAnswer = { created: number; existing: number; suppressed: number; invalid: Array<{ index: number; field: string; problem: string }> };

const BATCH = 500;

/** Minimal RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

/**
 * CSV with a header row: `email`, `phone`, `webhook_url` (one of them per row) and optional `components`
 * (component ids separated by ';' or spaces).
 */
export function csvToSubscribers(text: string, file: string) {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) throw new CliError(`${file} is empty; expected a header row such as: email,components`);
  const names = header.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_'));
  const col = (name: string) => names.indexOf(name);
  const [email, phone, webhook, components] = [col('email'), Math.max(col('phone'), col('phone_number')), Math.max(col('webhook_url'), col('webhook')), col('components')];
  if (email < 0 && phone < 0 && webhook < 0) throw new CliError(`${file}: the header needs an email, phone or webhook_url column (got: ${header.join(', ')})`);
  return rows.map((r) => {
    const value = (i: number) => (i >= 0 ? (r[i] ?? '').trim() : '');
    const ids = value(components).split(/[;\s]+/).filter(Boolean);
    return {
      ...(value(email) ? { email: value(email) } : {}),
      ...(value(phone) ? { phone: value(phone) } : {}),
      ...(value(webhook) ? { webhookUrl: value(webhook) } : {}),
      ...(ids.length ? { components: ids } : {}),
    };
  });
}

/** `herald subscriber import FILE.csv [--confirmed]`: posts batches to POST /api/v1/subscribers/import. */
export function registerSubscriberImport(program: Command) {
  const subscriber = program.commands.find((c) => c.name() === 'subscriber') ?? program.command('subscriber');
  subscriber
    .command('import <file>')
    .description('add subscribers from a CSV file (header: email | phone | webhook_url, optional components); suppressed addresses are skipped')
    .option('--confirmed', 'they agreed elsewhere: skip the double opt-in')
    .action(async (file: string, options: { confirmed?: boolean }, command: Command) => {
      const ctx = cliContext(command);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const subscribers = csvToSubscribers(text, file);
      const total: ImportAnswer = { created: 0, existing: 0, suppressed: 0, invalid: [] };
      const bar = ctx.json || !process.stderr.isTTY ? undefined : new SingleBar({ stream: process.stderr, format: 'importing [{bar}] {value}/{total} rows | {created} created' }, Presets.shades_classic);
      bar?.start(subscribers.length, 0, { created: 0 });
      for (let start = 0; start < subscribers.length; start += BATCH) {
        const batch = subscribers.slice(start, start + BATCH);
        const answer = await ctx.client.request<ImportAnswer>('POST', 'api/v1/subscribers/import', { subscribers: batch, confirmed: options.confirmed ?? false });
        total.created += answer.created;
        total.existing += answer.existing;
        total.suppressed += answer.suppressed;
        // Row numbers as in the file: +2 for the header and 1-based lines.
        total.invalid.push(...answer.invalid.map((i) => ({ ...i, index: start + i.index + 2 })));
        bar?.update(Math.min(start + BATCH, subscribers.length), { created: total.created });
      }
      bar?.stop();
      ctx.print(total, () =>
        [
          `${total.created} created, ${total.existing} already there, ${total.suppressed} skipped (unsubscribed or bounced earlier), ${total.invalid.length} invalid`,
          ...total.invalid.slice(0, 20).map((i) => `  line ${i.index}: ${i.field}: ${i.problem}`),
          ...(total.invalid.length > 20 ? [`  … and ${total.invalid.length - 20} more (use --json for all)`] : []),
        ].join('\n'),
      );
      if (total.invalid.length > 0) process.exitCode = 3;
    });
}

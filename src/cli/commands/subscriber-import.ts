import { readFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { CliError } from '../client.js';
import { cliContext } from '../context.js';
import { CsvError, csvToSubscribers } from '../../subscribers/csv.js';

type ImportAnswer = {
  created: number;
  existing: number;
  suppressed: number;
  invalid: Array<{ index: number; field: string; problem: string }>;
};

const BATCH = 500;

/** `herald subscriber import FILE.csv [--confirmed]`: posts batches to POST /api/v1/subscribers/import. */
export function registerSubscriberImport(program: Command) {
  const subscriber = program.commands.find((c) => c.name() === 'subscriber') ?? program.command('subscriber');
  subscriber
    .command('import <file>')
    .description(
      'add subscribers from a CSV file (header: email | phone | webhook_url, optional components); suppressed addresses are skipped',
    )
    .option('--confirmed', 'they agreed elsewhere: skip the double opt-in')
    .action(async (file: string, options: { confirmed?: boolean }, command: Command) => {
      const ctx = cliContext(command);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      let subscribers: ReturnType<typeof csvToSubscribers>;
      try {
        subscribers = csvToSubscribers(text, file);
      } catch (error) {
        throw error instanceof CsvError ? new CliError(error.message) : error;
      }
      const total: ImportAnswer = { created: 0, existing: 0, suppressed: 0, invalid: [] };
      const bar =
        ctx.json || !process.stderr.isTTY
          ? undefined
          : new SingleBar(
              { stream: process.stderr, format: 'importing [{bar}] {value}/{total} rows | {created} created' },
              Presets.shades_classic,
            );
      bar?.start(subscribers.length, 0, { created: 0 });
      for (let start = 0; start < subscribers.length; start += BATCH) {
        const batch = subscribers.slice(start, start + BATCH);
        const answer = await ctx.client.request<ImportAnswer>('POST', 'api/v1/subscribers/import', {
          subscribers: batch,
          confirmed: options.confirmed ?? false,
        });
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

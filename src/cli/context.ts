import type { Command } from 'commander';
import { ApiClient, CliError } from './client.js';

export interface GlobalOptions {
  url?: string;
  json?: boolean;
}

/** What every client command needs: the API client and how to print (one JSON document with --json). */
export function cliContext(command: Command) {
  const options = command.optsWithGlobals<GlobalOptions>();
  const client = new ApiClient(
    options.url ?? process.env.HERALD_URL ?? 'http://127.0.0.1:3000',
    process.env.HERALD_API_TOKEN,
  );
  return {
    client,
    json: Boolean(options.json),
    print(data: unknown, human: () => string) {
      process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
    },
  };
}

/** `--component ID=STATUS` (repeatable) → { ID: STATUS }. */
export function parseComponentPairs(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([^=\s]+)=([a-z_]+)$/.exec(pair);
    if (!match) throw new CliError(`--component '${pair}': expected ID=STATUS, e.g. --component 01jabc=major_outage`);
    result[match[1]!] = match[2]!;
  }
  return result;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--channels a,b` → ['a', 'b']; unset → undefined (every enabled channel). */
export const channelList = (names: string | undefined) =>
  names
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);

/** `startedAt` → `STARTED AT`: a header a person reads at a glance. */
export const header = (column: string) =>
  column
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toUpperCase();

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => String(row[c] ?? '')));
  const headers = columns.map(header);
  const widths = columns.map((_c, i) => Math.max(headers[i]!.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

import { readFileSync } from 'node:fs';
import { CliError } from './client.js';

/**
 * Long text from `--message` or from a file (`--body-file F`, `-` for stdin); exactly one of them. `what` names the
 * text in the error ("--message or --message-file").
 */
export function textFrom(inline: string | undefined, file: string | undefined, what: string): string | undefined {
  if (inline !== undefined && file !== undefined) throw new CliError(`give ${what}, not both`);
  if (file === undefined) return inline;
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file === '-' ? 'stdin' : `'${file}'`}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

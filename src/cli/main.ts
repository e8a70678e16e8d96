import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/env.js';
import { CliError } from './client.js';
import { registerClientCommands } from './commands/client-commands.js';
import { registerLocalCommands } from './commands/local-commands.js';
import { registerMaintenanceCommands } from './commands/maintenance-commands.js';
import { registerStatusPageCommands } from './commands/statuspage-commands.js';
import { registerTemplateCommands } from './commands/template-commands.js';
import { registerSubscriberImport } from './commands/subscriber-import.js';
import { registerUserCommands } from './commands/user-commands.js';
import { StartupError } from './startup-checks.js';

/** Every command; `main` runs it, and the CLI fuzz suite drives it in-process (exitOverride: no process exit). */
export function buildProgram(): Command {
  const program = new Command('herald')
    .description('One incident update, every place your customers look.')
    .option('--url <url>', 'Herald API base URL for client commands (default $HERALD_URL or http://127.0.0.1:3000)')
    .option('--json', 'print one JSON document on stdout')
    .showHelpAfterError()
    .exitOverride();
  registerLocalCommands(program);
  registerStatusPageCommands(program);
  registerClientCommands(program);
  registerMaintenanceCommands(program);
  registerTemplateCommands(program);
  registerSubscriberImport(program);
  registerUserCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exit(error.exitCode);
    }
    const known = error instanceof CliError || error instanceof ConfigError || error instanceof StartupError;
    process.stderr.write(`herald: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    process.exit(known ? 1 : 2);
  }
}

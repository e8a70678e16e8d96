import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { readEnv } from '../../config/env.js';
import { CONSOLE_ROLES, type ConsoleRole } from '../../console/roles.js';
import { nowIso } from '../../domain/ids.js';
import type { Executor } from '../../store/executor.js';
import { CliError } from '../client.js';
import { type GlobalOptions, table } from '../context.js';

/** Local commands for console users: they open the database directly (like `herald migrate`). */
export function registerUserCommands(program: Command) {
  const user = program.command('user').description('console users (sign-in for /console); works on the local database');

  user
    .command('add <username>')
    .description('create a console user; prompts for the password unless --password-stdin')
    .option('--role <role>', `${CONSOLE_ROLES.join(' | ')} (commanders publish; viewers only look)`, 'viewer')
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .action(async (username: string, options: { role: string; passwordStdin?: boolean }, command: Command) => {
      const password = await readPassword(options.passwordStdin);
      const { checkNewUser, createUser } = await import('../../console/users.js');
      const problem = checkNewUser(username, password, options.role);
      if (problem) throw new CliError(problem);
      const { isUniqueViolation } = await import('../../store/db.js');
      await withDatabase(async (db) => {
        try {
          const created = await createUser(db, { username, password, role: options.role as ConsoleRole }, nowIso());
          print(command, created, `created ${created.role} '${created.username}'`);
        } catch (error) {
          if (isUniqueViolation(error))
            throw new CliError(
              `username '${username}' exists already; use \`herald user passwd ${username}\` to change its password`,
            );
          throw error;
        }
      });
    });

  user
    .command('passwd <username>')
    .description("set a user's password (ends the user's sessions)")
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, options: { passwordStdin?: boolean }, command: Command) => {
      const password = await readPassword(options.passwordStdin);
      const { findUser, setPassword } = await import('../../console/users.js');
      await withDatabase(async (db) => {
        if (!(await findUser(db, username)))
          throw new CliError(`no console user '${username}'; see \`herald user list\``);
        try {
          await setPassword(db, username, password, nowIso());
        } catch (error) {
          throw new CliError((error as Error).message);
        }
        print(command, { username, passwordChanged: true }, `password of '${username}' changed; their sessions ended`);
      });
    });

  user
    .command('list')
    .description('list console users')
    .action(async (_options: unknown, command: Command) => {
      const { listUsers } = await import('../../console/users.js');
      await withDatabase(async (db) => {
        const users = await listUsers(db);
        print(
          command,
          users,
          table(users as unknown as Array<Record<string, unknown>>, ['username', 'role', 'createdAt']),
        );
      });
    });

  user
    .command('remove <username>')
    .description('delete a console user and their sessions')
    .action(async (username: string, _options: unknown, command: Command) => {
      const { removeUser } = await import('../../console/users.js');
      await withDatabase(async (db) => {
        if (!(await removeUser(db, username)))
          throw new CliError(`no console user '${username}'; see \`herald user list\``);
        print(command, { username, removed: true }, `removed '${username}'`);
      });
    });
}

function print(command: Command, data: unknown, human: string) {
  const json = Boolean(command.optsWithGlobals<GlobalOptions>().json);
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
}

/** Opens (and migrates) the local database; loaded on demand so other commands start fast. */
async function withDatabase(run: (db: Executor) => Promise<void>) {
  const { migrateToLatest, openDatabase } = await import('../../store/db.js');
  const env = readEnv(process.env, { generateSecret: false });
  const { db } = openDatabase(env.databaseUrl);
  try {
    await migrateToLatest(db);
    await run(db);
  } finally {
    await db.destroy();
  }
}

async function readPassword(fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    // One trailing newline is the terminator of `echo`, not part of the password.
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY)
    throw new CliError('no terminal to ask for the password: pass --password-stdin and pipe it in');
  const first = await promptHidden('Password: ');
  const again = await promptHidden('Repeat password: ');
  if (first !== again) throw new CliError('the passwords do not match; try again');
  return first;
}

function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

import type { Command } from 'commander';

// The server code loads only when a local command runs, so client commands start fast.
const load = () => import('./run-process.js');

/** Local commands: run Herald's processes on this machine. */
export function registerLocalCommands(program: Command) {
  program
    .command('serve')
    .description('HTTP API, status page and (unless --no-workers) delivery workers; applies pending migrations')
    .option('--port <n>', 'HTTP port (default $PORT or 3000)')
    .option('--no-workers', 'only the HTTP side; run `herald worker` processes for deliveries')
    .action(async (options: { port?: string; workers: boolean }) => {
      const vars = { ...process.env, ...(options.port ? { PORT: options.port } : {}) };
      await (await load()).runProcess(vars, { http: true, workers: options.workers });
    });
  program
    .command('worker')
    .description(
      'a delivery worker process (scale out by running more, on any machine with the same Redis and database)',
    )
    .action(async () => {
      await (await load()).runProcess(process.env, { http: false, workers: true });
    });
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      await (await load()).runMigrations();
    });
}

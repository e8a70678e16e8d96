import type { Command } from 'commander';
import type { Maintenance, MaintenanceNotice } from '../../domain/types.js';
import { CliError } from '../client.js';
import { channelList, cliContext, collect, table } from '../context.js';
import { textFrom } from '../text-input.js';

const segment = (value: string) => {
  if (value.trim() === '') throw new CliError('ID must not be empty');
  return encodeURIComponent(value);
};

const state = (m: Maintenance) => (m.cancelledAt ? 'cancelled' : m.status);

function describe(m: Maintenance): string {
  const lines = [
    `maintenance ${m.id} ${state(m)}: ${m.title}`,
    `  window      ${m.scheduledFor} → ${m.scheduledUntil}`,
    `  components  ${m.components.map((c) => `${c.name} (${c.status})`).join(', ') || '(none)'}`,
    `  channels    ${m.channels ? m.channels.join(', ') : 'every enabled channel'}`,
  ];
  if (m.remindedAt) lines.push(`  reminded    ${m.remindedAt}`);
  if (m.updates.length > 0) {
    // One line per notice: its first words, the whole text is in --json.
    const oneLine = (text: string) => {
      const line = text.replace(/\s+/g, ' ').trim();
      return line.length > 72 ? `${line.slice(0, 71)}…` : line;
    };
    const rows = m.updates.map((u) => ({ ...u, message: oneLine(u.message) }));
    lines.push('', table(rows, ['createdAt', 'status', 'id', 'message']));
  }
  return lines.join('\n');
}

/** `herald maintenance …`: the whole life of a scheduled maintenance, over the admin API. */
export function registerMaintenanceCommands(program: Command) {
  const maintenance = program
    .command('maintenance')
    .description('scheduled maintenance: announce, list, show, edit, update, cancel');

  maintenance
    .command('add')
    .description('schedule a maintenance and announce it on its channels')
    .requiredOption('--title <title>', 'what is maintained')
    .option('--message <markdown>', 'what customers should know, in Markdown')
    .option('--message-file <file>', "the message from a file ('-' for stdin)")
    .requiredOption('--from <time>', 'start, ISO-8601 (e.g. 2030-01-31T22:00:00Z)')
    .requiredOption('--until <time>', 'end, ISO-8601')
    .option('--component <id>', 'an affected component (repeatable; at least one)', collect)
    .option('--channels <names>', 'comma-separated channels for its notices (default: every enabled channel)')
    .action(
      async (
        options: {
          title: string;
          message?: string;
          messageFile?: string;
          from: string;
          until: string;
          component?: string[];
          channels?: string;
        },
        command: Command,
      ) => {
        const ctx = cliContext(command);
        const created = await ctx.client.request<Maintenance>('POST', 'api/v1/maintenances', {
          title: options.title,
          message: textFrom(options.message, options.messageFile, '--message or --message-file'),
          scheduledFor: options.from,
          scheduledUntil: options.until,
          components: options.component ?? [],
          channels: channelList(options.channels),
        });
        ctx.print(created, () => describe(created));
      },
    );

  maintenance
    .command('list')
    .description('maintenances, newest first')
    .option('--state <state>', 'upcoming | active | completed')
    .action(async (options: { state?: string }, command: Command) => {
      const ctx = cliContext(command);
      const query = options.state ? `?state=${encodeURIComponent(options.state)}` : '';
      const list = await ctx.client.request<Maintenance[]>('GET', `api/v1/maintenances${query}`);
      ctx.print(list, () =>
        table(
          list.map((m) => ({ ...m, state: state(m), components: m.components.map((c) => c.name).join(', ') })),
          ['id', 'state', 'scheduledFor', 'scheduledUntil', 'title', 'components'],
        ),
      );
    });

  maintenance
    .command('show <id>')
    .description('one maintenance: window, components, channels and every notice sent')
    .action(async (id: string, _options, command: Command) => {
      const ctx = cliContext(command);
      const m = await ctx.client.request<Maintenance>('GET', `api/v1/maintenances/${segment(id)}`);
      ctx.print(m, () => describe(m));
    });

  maintenance
    .command('edit <id>')
    .description('change title, message, window or components (a new window is announced)')
    .option('--title <title>')
    .option('--message <markdown>')
    .option('--message-file <file>', "the message from a file ('-' for stdin)")
    .option('--from <time>', 'new start, ISO-8601 (not once it has started)')
    .option('--until <time>', 'new end, ISO-8601')
    .option('--component <id>', 'the affected components, replacing the old list (repeatable)', collect)
    .action(
      async (
        id: string,
        options: {
          title?: string;
          message?: string;
          messageFile?: string;
          from?: string;
          until?: string;
          component?: string[];
        },
        command: Command,
      ) => {
        const body = {
          title: options.title,
          message: textFrom(options.message, options.messageFile, '--message or --message-file'),
          scheduledFor: options.from,
          scheduledUntil: options.until,
          components: options.component,
        };
        if (Object.values(body).every((v) => v === undefined))
          throw new CliError('nothing to change: give --title, --message, --from, --until or --component');
        const ctx = cliContext(command);
        const m = await ctx.client.request<Maintenance>('PATCH', `api/v1/maintenances/${segment(id)}`, body);
        ctx.print(m, () => describe(m));
      },
    );

  maintenance
    .command('update <id>')
    .description('post an update, sent on its channels like an incident update')
    .option('--message <markdown>', 'the update, in Markdown')
    .option('--message-file <file>', "the update from a file ('-' for stdin)")
    .option('--status <status>', 'in_progress | verifying | completed (completed ends it now)')
    .action(
      async (id: string, options: { message?: string; messageFile?: string; status?: string }, command: Command) => {
        const message = textFrom(options.message, options.messageFile, '--message or --message-file');
        if (message === undefined) throw new CliError('give --message or --message-file');
        const ctx = cliContext(command);
        const answer = await ctx.client.request<{ maintenance: Maintenance; update: MaintenanceNotice }>(
          'POST',
          `api/v1/maintenances/${segment(id)}/updates`,
          { message, status: options.status },
        );
        ctx.print(
          answer,
          () => `maintenance ${answer.maintenance.id} ${state(answer.maintenance)}: update ${answer.update.id} sent`,
        );
      },
    );

  maintenance
    .command('cancel <id>')
    .description('cancel it; the cancellation goes where the announcement went')
    .action(async (id: string, _options, command: Command) => {
      const ctx = cliContext(command);
      await ctx.client.request('DELETE', `api/v1/maintenances/${segment(id)}`);
      const m = await ctx.client.request<Maintenance>('GET', `api/v1/maintenances/${segment(id)}`);
      ctx.print(m, () => `maintenance ${m.id} cancelled`);
    });
}

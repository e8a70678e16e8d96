import type { Command } from 'commander';
import type { IncidentTemplate } from '../../domain/types.js';
import { CliError } from '../client.js';
import { cliContext, collect, parseComponentPairs, table } from '../context.js';
import { textFrom } from '../text-input.js';

const segment = (value: string) => {
  if (value.trim() === '') throw new CliError('ID must not be empty');
  return encodeURIComponent(value);
};

/** `--impact ''` or `--status ''` clears the field (null: left to the incident opened from it). */
const clearable = (value: string | undefined) => (value === undefined ? undefined : value.trim() || null);

function describe(t: IncidentTemplate): string {
  return [
    `template ${t.id} ${t.name}`,
    `  title       ${t.title}`,
    `  impact      ${t.impact ?? '(the incident’s, or minor)'}`,
    `  status      ${t.status ?? '(the incident’s, or investigating)'}`,
    `  components  ${t.components.map((c) => `${c.name} (${c.status})`).join(', ') || '(none)'}`,
    '',
    t.message,
  ].join('\n');
}

const IMPACTS = 'none | minor | major | critical';
const STATUSES = 'investigating | identified | monitoring | resolved';

/** `herald template …`: incident templates over the admin API (`herald incident open --template NAME` uses them). */
export function registerTemplateCommands(program: Command) {
  const template = program
    .command('template')
    .description('incident templates: a saved title, message, impact and components to open an incident from');

  template
    .command('add <name>')
    .description('save a template (its name is unique, whatever its case)')
    .requiredOption('--title <title>', 'the incident title')
    .option('--message <markdown>', 'the first update, in Markdown')
    .option('--message-file <file>', "the message from a file ('-' for stdin)")
    .option('--impact <impact>', IMPACTS)
    .option('--status <status>', `the initial status: ${STATUSES}`)
    .option('--component <id=status>', 'an affected component and its status (repeatable)', collect)
    .action(
      async (
        name: string,
        options: {
          title: string;
          message?: string;
          messageFile?: string;
          impact?: string;
          status?: string;
          component?: string[];
        },
        command: Command,
      ) => {
        const message = textFrom(options.message, options.messageFile, '--message or --message-file');
        if (message === undefined) throw new CliError('give --message or --message-file');
        const ctx = cliContext(command);
        const created = await ctx.client.request<IncidentTemplate>('POST', 'api/v1/incident-templates', {
          name,
          title: options.title,
          message,
          impact: options.impact,
          status: options.status,
          components: parseComponentPairs(options.component),
        });
        ctx.print(created, () => describe(created));
      },
    );

  template
    .command('list')
    .description('every template, by name')
    .action(async (_options, command: Command) => {
      const ctx = cliContext(command);
      const list = await ctx.client.request<IncidentTemplate[]>('GET', 'api/v1/incident-templates');
      ctx.print(list, () =>
        table(
          list.map((t) => ({
            ...t,
            impact: t.impact ?? '-',
            status: t.status ?? '-',
            components: t.components.map((c) => c.name).join(', '),
          })),
          ['id', 'name', 'impact', 'status', 'title', 'components'],
        ),
      );
    });

  template
    .command('show <id>')
    .description('one template: its fields and whole message')
    .action(async (id: string, _options, command: Command) => {
      const ctx = cliContext(command);
      const t = await ctx.client.request<IncidentTemplate>('GET', `api/v1/incident-templates/${segment(id)}`);
      ctx.print(t, () => describe(t));
    });

  template
    .command('edit <id>')
    .description('change any of its fields')
    .option('--name <name>', 'new name (unique)')
    .option('--title <title>', 'the incident title')
    .option('--message <markdown>', 'the first update, in Markdown')
    .option('--message-file <file>', "the message from a file ('-' for stdin)")
    .option('--impact <impact>', `${IMPACTS} ('' for none: the incident's own)`)
    .option('--status <status>', `${STATUSES} ('' for none: the incident's own)`)
    .option('--component <id=status>', 'the affected components, replacing the old list (repeatable)', collect)
    .option('--no-components', 'affects no component')
    .action(
      async (
        id: string,
        options: {
          name?: string;
          title?: string;
          message?: string;
          messageFile?: string;
          impact?: string;
          status?: string;
          component?: string[];
          components?: boolean;
        },
        command: Command,
      ) => {
        if (options.components === false && options.component)
          throw new CliError('give --component or --no-components, not both');
        const body = {
          name: options.name,
          title: options.title,
          message: textFrom(options.message, options.messageFile, '--message or --message-file'),
          impact: clearable(options.impact),
          status: clearable(options.status),
          components: options.components === false ? {} : parseComponentPairs(options.component),
        };
        if (Object.values(body).every((v) => v === undefined))
          throw new CliError(
            'nothing to change: give --name, --title, --message, --impact, --status, --component or --no-components',
          );
        const ctx = cliContext(command);
        const t = await ctx.client.request<IncidentTemplate>('PATCH', `api/v1/incident-templates/${segment(id)}`, body);
        ctx.print(t, () => describe(t));
      },
    );

  template
    .command('delete <id>')
    .description('delete a template (incidents opened from it stay as they are)')
    .action(async (id: string, _options, command: Command) => {
      const ctx = cliContext(command);
      await ctx.client.request('DELETE', `api/v1/incident-templates/${segment(id)}`);
      ctx.print({ id, deleted: true }, () => `template ${id} deleted`);
    });
}

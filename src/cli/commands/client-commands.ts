import type { Command } from 'commander';
import type { Draft } from '../../domain/drafts.js';
import type { Component, Incident, IncidentUpdate, Subscriber } from '../../domain/types.js';
import { CliError } from '../client.js';
import { channelList, cliContext, collect, parseComponentPairs, table } from '../context.js';
import { textFrom } from '../text-input.js';
import { type DeliveriesAnswer, waitForDeliveries } from '../wait.js';

interface RecipientsAnswer {
  recipients: Array<{
    channel: string;
    subscriberId: string;
    address: string | null;
    state: string;
    attempts: number;
    error?: string;
  }>;
  next?: string;
}

type Published = { incident: Incident; update: IncidentUpdate };

/** A whole-number option, or a clear error naming it. */
function wholeNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new CliError(`${option} must be a whole number, got '${value}'`);
  return Number(value.trim());
}

/** An id argument as a path segment; an empty one would change the route (`incidents//updates`). */
function idSegment(name: string, value: string): string {
  if (value.trim() === '') throw new CliError(`${name} must not be empty`);
  return encodeURIComponent(value);
}

/** Client commands: each one HTTP call (plus polling with --wait) against a running Herald. */
export function registerClientCommands(program: Command) {
  const component = program.command('component').description('status page components');
  component
    .command('add <name>')
    .description('add a component to the status page')
    .option('--group <group>', 'group the component belongs to')
    .option('--description <text>', 'one line shown on the status page')
    .option('--position <n>', 'place in the page order (smaller first)')
    .action(
      async (name: string, options: { group?: string; description?: string; position?: string }, command: Command) => {
        const ctx = cliContext(command);
        const created = await ctx.client.request<Component>('POST', 'api/v1/components', {
          name,
          group: options.group,
          description: options.description,
          position: wholeNumber('--position', options.position),
        });
        ctx.print(created, () => `component ${created.id} ${created.name} (${created.status})`);
      },
    );
  component
    .command('list')
    .description('every component, in page order')
    .action(async (_options, command: Command) => {
      const ctx = cliContext(command);
      const components = await ctx.client.request<Component[]>('GET', 'api/v1/components');
      ctx.print(components, () =>
        table(
          components.map((c) => ({ ...c, group: c.group ?? '' })),
          ['id', 'name', 'group', 'position', 'status'],
        ),
      );
    });
  component
    .command('edit <id>')
    .description('rename, regroup, describe, reorder or set the status of a component')
    .option('--name <name>', 'new name (unique within its group)')
    .option('--group <group>', "new group ('' for none)")
    .option('--description <text>', "one line shown on the status page ('' for none)")
    .option('--position <n>', 'place in the page order (smaller first)')
    .option(
      '--status <status>',
      'operational | degraded_performance | partial_outage | major_outage | under_maintenance',
    )
    .action(
      async (
        id: string,
        options: { name?: string; group?: string; description?: string; position?: string; status?: string },
        command: Command,
      ) => {
        const body = {
          name: options.name,
          group: options.group === undefined ? undefined : options.group.trim() || null,
          description: options.description === undefined ? undefined : options.description.trim() || null,
          position: wholeNumber('--position', options.position),
          status: options.status,
        };
        if (Object.values(body).every((v) => v === undefined))
          throw new CliError('nothing to change: give --name, --group, --description, --position or --status');
        const ctx = cliContext(command);
        const changed = await ctx.client.request<Component>('PATCH', `api/v1/components/${idSegment('ID', id)}`, body);
        ctx.print(
          changed,
          () =>
            `component ${changed.id} ${changed.name}${changed.group ? ` in ${changed.group}` : ''} (${changed.status})`,
        );
      },
    );
  component
    .command('delete <id>')
    .description('remove a component from the page, its JSON and subscriber choices (past incidents keep its name)')
    .action(async (id: string, _options, command: Command) => {
      const ctx = cliContext(command);
      await ctx.client.request('DELETE', `api/v1/components/${idSegment('ID', id)}`);
      ctx.print({ id, deleted: true }, () => `component ${id} deleted`);
    });

  const incident = program.command('incident').description('open, update and resolve incidents');
  incident
    .command('open')
    .description('open an incident: its first update goes to every chosen channel')
    .option('--template <name>', 'start from this incident template (name or id); the options given override it')
    .option('--title <title>', 'incident title (required without --template)')
    .option('--message <markdown>', 'the first update, in Markdown (required without --template)')
    .option('--message-file <file>', "the first update from a file ('-' for stdin)")
    .option('--status <status>', 'investigating | identified | monitoring | resolved')
    .option('--impact <impact>', 'none | minor | major | critical')
    .option('--component <id=status>', 'affected component and its status (repeatable)', collect)
    .option('--channels <names>', 'comma-separated channel names (default: every enabled channel)')
    .option(
      '--social-text <text>',
      'posted on X, Mastodon and Bluesky instead of the message, with the incident link (must fit each)',
    )
    .option('--wait', 'show live per-channel progress until every channel has settled')
    .action(
      async (
        options: {
          template?: string;
          title?: string;
          message?: string;
          messageFile?: string;
          status?: string;
          impact?: string;
          component?: string[];
          channels?: string;
          socialText?: string;
          wait?: boolean;
        },
        command: Command,
      ) => {
        const message = textFrom(options.message, options.messageFile, '--message or --message-file');
        if (options.template === undefined && (options.title === undefined || message === undefined))
          throw new CliError('give --title and --message (or --message-file), or --template NAME');
        await publishAndReport(
          command,
          'api/v1/incidents',
          {
            template: options.template,
            title: options.title,
            message,
            status: options.status,
            impact: options.impact,
            components: parseComponentPairs(options.component),
            channels: channelList(options.channels),
            socialText: options.socialText,
          },
          options.wait,
        );
      },
    );
  incident
    .command('update <id>')
    .description('post an update to an open incident')
    .requiredOption('--message <markdown>', 'the update, in Markdown')
    .option('--status <status>', 'investigating | identified | monitoring | resolved')
    .option('--impact <impact>', 'none | minor | major | critical')
    .option('--component <id=status>', 'component and its new status (repeatable)', collect)
    .option('--channels <names>', 'comma-separated channel names (default: every enabled channel)')
    .option(
      '--social-text <text>',
      'posted on X, Mastodon and Bluesky instead of the message, with the incident link (must fit each)',
    )
    .option('--wait', 'show live per-channel progress until every channel has settled')
    .action(
      async (
        id: string,
        options: {
          message: string;
          status?: string;
          impact?: string;
          component?: string[];
          channels?: string;
          socialText?: string;
          wait?: boolean;
        },
        command: Command,
      ) => {
        await publishAndReport(
          command,
          `api/v1/incidents/${idSegment('ID', id)}/updates`,
          {
            message: options.message,
            status: options.status,
            impact: options.impact,
            components: parseComponentPairs(options.component),
            channels: channelList(options.channels),
            socialText: options.socialText,
          },
          options.wait,
        );
      },
    );
  incident
    .command('resolve <id>')
    .description('resolve an incident: its components return to operational unless named')
    .requiredOption('--message <markdown>', 'the resolving update, in Markdown')
    .option(
      '--component <id=status>',
      'a component and its status after the incident (repeatable; default: operational)',
      collect,
    )
    .option('--channels <names>', 'comma-separated channel names (default: every enabled channel)')
    .option(
      '--social-text <text>',
      'posted on X, Mastodon and Bluesky instead of the message, with the incident link (must fit each)',
    )
    .option('--wait', 'show live per-channel progress until every channel has settled')
    .action(
      async (
        id: string,
        options: { message: string; component?: string[]; channels?: string; socialText?: string; wait?: boolean },
        command: Command,
      ) => {
        await publishAndReport(
          command,
          `api/v1/incidents/${idSegment('ID', id)}/updates`,
          {
            message: options.message,
            status: 'resolved',
            components: parseComponentPairs(options.component),
            channels: channelList(options.channels),
            socialText: options.socialText,
          },
          options.wait,
        );
      },
    );
  incident
    .command('postmortem <id>')
    .description('publish the postmortem of a resolved incident (on the status page; everywhere with --notify)')
    .requiredOption('--body-file <file>', "the postmortem in Markdown, from a file ('-' for stdin)")
    .option('--notify', 'send it to every channel, not only the status page')
    .action(async (id: string, options: { bodyFile: string; notify?: boolean }, command: Command) => {
      const body = textFrom(undefined, options.bodyFile, '--body-file');
      const ctx = cliContext(command);
      const answer = await ctx.client.request<{ incident: Incident }>(
        'POST',
        `api/v1/incidents/${idSegment('ID', id)}/postmortem`,
        { body, notify: options.notify },
      );
      ctx.print(
        answer,
        () => `incident ${answer.incident.id} postmortem published${options.notify ? ' and sent' : ''}`,
      );
    });
  incident
    .command('list')
    .description('incidents, newest first')
    .option('--unresolved', 'only incidents that are not resolved')
    .option('--drafts', 'only drafts: incidents proposed by alerts and not published')
    .action(async (options: { unresolved?: boolean; drafts?: boolean }, command: Command) => {
      const ctx = cliContext(command);
      if (options.drafts && options.unresolved) throw new CliError('give --drafts or --unresolved, not both');
      if (options.drafts) {
        const drafts = await ctx.client.request<Draft[]>('GET', 'api/v1/incidents?state=draft');
        ctx.print(drafts, () =>
          drafts.length === 0
            ? 'no drafts'
            : table(
                drafts.map((d) => ({
                  ...d,
                  components: d.components.map((c) => c.name).join(', '),
                  holding: d.autoPublishAt ?? 'never',
                })),
                ['id', 'source', 'impact', 'firing', 'components', 'holding', 'title'],
              ),
        );
        return;
      }
      const incidents = await ctx.client.request<Incident[]>(
        'GET',
        `api/v1/incidents${options.unresolved ? '?state=unresolved' : ''}`,
      );
      ctx.print(incidents, () =>
        table(incidents as unknown as Array<Record<string, unknown>>, ['id', 'status', 'impact', 'startedAt', 'title']),
      );
    });
  incident
    .command('publish <id>')
    .description('publish a draft, as it is or with any of these changed')
    .option('--template <name>', "fill what these options leave out from this incident template, before the draft's")
    .option('--title <title>', 'incident title')
    .option('--message <markdown>', 'the first update, in Markdown')
    .option('--status <status>', 'investigating | identified | monitoring | resolved')
    .option('--impact <impact>', 'none | minor | major | critical')
    .option('--component <id=status>', "affected component and its status (repeatable; replaces the draft's)", collect)
    .option('--channels <names>', 'comma-separated channel names (default: every enabled channel)')
    .option('--wait', 'show live per-channel progress until every channel has settled')
    .action(
      async (
        id: string,
        options: {
          template?: string;
          title?: string;
          message?: string;
          status?: string;
          impact?: string;
          component?: string[];
          channels?: string;
          wait?: boolean;
        },
        command: Command,
      ) => {
        await publishAndReport(
          command,
          `api/v1/incidents/${idSegment('ID', id)}/publish`,
          {
            template: options.template,
            title: options.title,
            message: options.message,
            status: options.status,
            impact: options.impact,
            components: parseComponentPairs(options.component),
            channels: channelList(options.channels),
          },
          options.wait,
        );
      },
    );
  incident
    .command('dismiss <id>')
    .description('dismiss a draft: it is never published')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = cliContext(command);
      await ctx.client.request('DELETE', `api/v1/incidents/${idSegment('ID', id)}`);
      ctx.print({ id, dismissed: true }, () => `draft ${id} dismissed`);
    });

  program
    .command('deliveries <updateId>')
    .description('where an update landed, per channel (or per subscriber, with --recipients)')
    .option('--recipients', 'one line per subscriber of the email, SMS and webhook channels')
    .option('--channel <name>', 'with --recipients: only this channel')
    .option('--state <state>', 'with --recipients: pending | sending | sent | failed | skipped')
    .option('--limit <n>', 'with --recipients: at most this many (1–1000, default 100)')
    .option('--after <cursor>', "with --recipients: the page after an earlier answer's 'next'")
    .action(
      async (
        updateId: string,
        options: { recipients?: boolean; channel?: string; state?: string; limit?: string; after?: string },
        command: Command,
      ) => {
        const ctx = cliContext(command);
        const path = `api/v1/updates/${idSegment('UPDATE_ID', updateId)}`;
        if (!options.recipients) {
          const answer = await ctx.client.request<DeliveriesAnswer>('GET', `${path}/deliveries`);
          ctx.print(answer, () => deliveriesTable(answer));
          return;
        }
        const query = new URLSearchParams(
          Object.entries({
            channel: options.channel,
            state: options.state,
            limit: options.limit,
            after: options.after,
          }).filter((e): e is [string, string] => e[1] !== undefined),
        );
        const answer = await ctx.client.request<RecipientsAnswer>(
          'GET',
          `${path}/recipients${query.size ? `?${query}` : ''}`,
        );
        ctx.print(answer, () => {
          const rows = answer.recipients.map((r) => ({
            ...r,
            address: r.address ?? `(deleted subscriber ${r.subscriberId})`,
            error: r.error ?? '',
          }));
          const filters = [
            options.channel && `--channel ${options.channel}`,
            options.state && `--state ${options.state}`,
            options.limit && `--limit ${options.limit}`,
          ]
            .filter(Boolean)
            .join(' ');
          const more = answer.next
            ? `\nmore: herald deliveries ${updateId} --recipients ${filters ? `${filters} ` : ''}--after ${answer.next}`
            : '';
          return table(rows, ['channel', 'address', 'state', 'attempts', 'error']) + more;
        });
      },
    );

  const subscriber = program.command('subscriber').description('email, SMS and webhook subscribers');
  subscriber
    .command('add')
    .description('add an email, SMS or webhook subscriber')
    .option('--email <address>')
    .option('--phone <e164>', 'phone number in E.164 form, e.g. +14155550100')
    .option('--webhook <url>')
    .option('--component <id>', 'only updates affecting this component (repeatable; default all)', collect)
    .option('--confirmed', 'skip the double opt-in (the subscriber agreed elsewhere)')
    .action(
      async (
        options: { email?: string; phone?: string; webhook?: string; component?: string[]; confirmed?: boolean },
        command: Command,
      ) => {
        const given = [options.email, options.phone, options.webhook].filter(Boolean).length;
        if (given !== 1) throw new CliError('give exactly one of --email, --phone or --webhook');
        const ctx = cliContext(command);
        const created = await ctx.client.request<Subscriber & { secret?: string }>('POST', 'api/v1/subscribers', {
          email: options.email,
          phone: options.phone,
          webhookUrl: options.webhook,
          components: options.component,
          confirmed: options.confirmed,
        });
        ctx.print(created, () =>
          [
            `subscriber ${created.id} ${created.email ?? created.phone ?? created.webhookUrl} ${created.confirmed ? 'confirmed' : 'awaiting confirmation'}`,
            created.secret ? `signing secret (shown once): ${created.secret}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      },
    );
  subscriber
    .command('list')
    .description('every subscriber')
    .action(async (_options, command: Command) => {
      const ctx = cliContext(command);
      const subscribers = await ctx.client.request<Subscriber[]>('GET', 'api/v1/subscribers');
      ctx.print(subscribers, () =>
        table(
          subscribers.map((s) => ({
            ...s,
            address: s.email ?? s.phone ?? s.webhookUrl,
            components: s.components.join(',') || 'all',
          })),
          ['id', 'kind', 'address', 'confirmed', 'components'],
        ),
      );
    });
}

async function publishAndReport(
  command: Command,
  path: string,
  body: Record<string, unknown>,
  wait: boolean | undefined,
) {
  const ctx = cliContext(command);
  const published = await ctx.client.request<Published>('POST', path, body);
  if (!wait) {
    ctx.print(
      published,
      () => `incident ${published.incident.id} ${published.incident.status}: update ${published.update.id} published`,
    );
    return;
  }
  if (!ctx.json)
    process.stderr.write(
      `incident ${published.incident.id} ${published.incident.status}: update ${published.update.id} published\n`,
    );
  const deliveries = await waitForDeliveries(ctx.client, published.update.id, { json: ctx.json });
  ctx.print({ ...published, deliveries }, () => deliveriesTable(deliveries));
  if (deliveries.channels.some((c) => c.state === 'failed' || c.state === 'partial')) process.exitCode = 3;
}

function deliveriesTable(answer: DeliveriesAnswer): string {
  return table(
    answer.channels.map((c) => ({
      ...c,
      progress: `${c.delivered}/${c.total}`,
      where: c.externalUrl ?? c.error ?? '',
    })),
    ['channel', 'state', 'progress', 'where'],
  );
}

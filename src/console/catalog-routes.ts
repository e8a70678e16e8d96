import type { FastifyInstance } from 'fastify';
import { markdownToSafeHtml } from '../render/markdown.js';
import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import {
  createComponentSchema,
  describeIssues,
  maintenanceUpdateSchema,
  patchComponentSchema,
} from '../domain/schemas.js';
import {
  addComponent,
  changeComponent,
  removeComponent,
  reorderComponent,
  scheduleMaintenance,
} from '../pipeline/catalog.js';
import {
  cancelMaintenance,
  editMaintenance,
  parseMaintenance,
  postMaintenanceUpdate,
} from '../pipeline/maintenance.js';
import { COMPONENT_STATUSES } from '../domain/enums.js';
import { getComponent, listComponents } from '../store/components-repo.js';
import { getMaintenances } from '../store/maintenances-repo.js';
import { type FormBody, all, first } from './compose-form.js';
import { type ConsoleContext, CONSOLE_PREFIX } from './console-context.js';
import { groupComponents } from './dashboard-routes.js';

type IdParams = { Params: { id: string } };

/** Form fields → component input: blanks become "not given", position a number. */
function componentFields(body: FormBody, partial: boolean) {
  const out: Record<string, unknown> = {};
  const name = first(body.name);
  if (name || !partial) out.name = name;
  const group = first(body.group).trim();
  out.group = group ? group : null;
  const description = first(body.description).trim();
  out.description = description ? description : null;
  // A status picked in the edit form; a change sends webhook component events (see pipeline/catalog.ts).
  const status = first(body.status).trim();
  if (status) out.status = status;
  const position = first(body.position).trim();
  if (position) out.position = /^\d+$/.test(position) ? Number(position) : position;
  return out;
}

/** datetime-local (no zone) is read as UTC, as the form says. */
function utcFromLocalInput(value: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)
    ? `${value.length === 16 ? `${value}:00` : value}Z`
    : value;
}

/** Components (groups, order) and scheduled maintenance. */
export function catalogRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { store } = ctx.herald;
  const { db } = store;

  const componentsPage = async (
    request: Parameters<ConsoleContext['page']>[0],
    reply: Parameters<ConsoleContext['page']>[1],
    extra: Record<string, unknown> = {},
    status = 200,
  ) =>
    ctx.page(
      request,
      reply,
      'components',
      {
        title: 'Components',
        // Each row's edit form offers every status, its own selected.
        groups: groupComponents(
          (await listComponents(db)).map((c) => ({
            ...c,
            statusOptions: COMPONENT_STATUSES.map((value) => ({ value, selected: value === c.status })),
          })),
        ),
        ...extra,
      },
      status,
    );

  app.get('/components', async (request, reply) => componentsPage(request, reply));

  app.post<{ Body: FormBody }>('/components', async (request, reply) => {
    const parsed = createComponentSchema.safeParse(componentFields(request.body ?? {}, false));
    if (!parsed.success)
      return componentsPage(request, reply, { error: describeIssues(parsed.error).message, draft: request.body }, 400);
    try {
      const created = await addComponent(ctx.herald, parsed.data);
      return componentsPage(request, reply, { notice: `Component '${created.name}' added.` }, 201);
    } catch (error) {
      if (error instanceof StateConflictError)
        return componentsPage(request, reply, { error: error.message, draft: request.body }, 409);
      throw error;
    }
  });

  app.post<IdParams & { Body: FormBody }>('/components/:id', async (request, reply) => {
    if (!(await getComponent(db, request.params.id))) throw new NotFoundError('component', request.params.id);
    const parsed = patchComponentSchema.safeParse(componentFields(request.body ?? {}, true));
    if (!parsed.success) return componentsPage(request, reply, { error: describeIssues(parsed.error).message }, 400);
    try {
      await changeComponent(ctx.herald, request.params.id, parsed.data);
    } catch (error) {
      if (error instanceof StateConflictError) return componentsPage(request, reply, { error: error.message }, 409);
      throw error;
    }
    return reply.redirect(`${CONSOLE_PREFIX}/components`, 303);
  });

  app.post<IdParams & { Body: FormBody }>('/components/:id/move', async (request, reply) => {
    const direction = first(request.body?.direction);
    if (direction !== 'up' && direction !== 'down')
      return componentsPage(request, reply, { error: "direction: must be 'up' or 'down'" }, 400);
    try {
      await reorderComponent(ctx.herald, request.params.id, direction);
    } catch (error) {
      if (error instanceof StateConflictError) return componentsPage(request, reply, { error: error.message }, 409);
      throw error;
    }
    return reply.redirect(`${CONSOLE_PREFIX}/components`, 303);
  });

  app.post<IdParams>('/components/:id/delete', async (request, reply) => {
    const component = await getComponent(db, request.params.id);
    if (!component) throw new NotFoundError('component', request.params.id);
    await removeComponent(ctx.herald, component.id);
    return componentsPage(request, reply, {
      notice: `Component '${component.name}' deleted. Past incidents still show its name.`,
    });
  });

  const maintenancesPage = async (
    request: Parameters<ConsoleContext['page']>[0],
    reply: Parameters<ConsoleContext['page']>[1],
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const lead = ctx.reminders.maintenanceLeadMinutes;
    const list = (await getMaintenances(db, { includeCancelled: true })).reverse();
    const channelNames = ctx.herald.channels.map((c) => c.name);
    const view = (m: (typeof list)[number]) => ({
      ...m,
      state: m.cancelledAt ? 'cancelled' : m.status,
      open: !m.cancelledAt && m.status !== 'completed',
      started: m.status === 'in_progress' || m.status === 'verifying',
      channelList: (m.channels ?? channelNames).join(', '),
      reminderAt: lead > 0 ? new Date(Date.parse(m.scheduledFor) - lead * 60_000).toISOString() : null,
      forInput: m.scheduledFor.slice(0, 16),
      untilInput: m.scheduledUntil.slice(0, 16),
      componentIds: m.components.map((c) => c.id),
      updates: m.updates.map((u) => ({ ...u, messageHtml: markdownToSafeHtml(u.message) })),
    });
    const maintenances = list.map(view);
    const components = await listComponents(db);
    return ctx.page(
      request,
      reply,
      'maintenances',
      {
        title: 'Maintenance',
        active: maintenances.filter((m) => m.started && m.open),
        upcoming: maintenances.filter((m) => m.status === 'scheduled' && m.open).reverse(),
        past: maintenances.filter((m) => !m.open),
        components,
        channels: channelNames,
        reminderLead: lead,
        ...extra,
      },
      status,
    );
  };

  /** A step that may be refused: bad input (400) or a state that does not allow it (409) shows on the page. */
  const step = async (
    request: Parameters<ConsoleContext['page']>[0],
    reply: Parameters<ConsoleContext['page']>[1],
    run: () => Promise<string>,
    draft?: unknown,
    okStatus = 200,
  ) => {
    try {
      const notice = await run();
      return maintenancesPage(request, reply, { notice }, okStatus);
    } catch (error) {
      if (error instanceof InputError) return maintenancesPage(request, reply, { error: error.message, draft }, 400);
      if (error instanceof StateConflictError) return maintenancesPage(request, reply, { error: error.message }, 409);
      throw error;
    }
  };

  const windowFields = (body: FormBody) => {
    const out: Record<string, unknown> = {};
    for (const field of ['title', 'message'] as const) if (first(body[field]).trim()) out[field] = first(body[field]);
    for (const field of ['scheduledFor', 'scheduledUntil'] as const)
      if (first(body[field]).trim()) out[field] = utcFromLocalInput(first(body[field]));
    return out;
  };

  app.get('/maintenances', async (request, reply) => maintenancesPage(request, reply));

  app.post<{ Body: FormBody }>('/maintenances', async (request, reply) => {
    const body = request.body ?? {};
    return step(
      request,
      reply,
      async () => {
        const chosen = all(body.channels).filter(Boolean);
        const input = parseMaintenance({
          title: first(body.title),
          message: first(body.message),
          scheduledFor: utcFromLocalInput(first(body.scheduledFor)),
          scheduledUntil: utcFromLocalInput(first(body.scheduledUntil)),
          components: all(body.components).filter(Boolean),
          ...(first(body.channelsShown) ? { channels: chosen } : {}),
        });
        const created = await scheduleMaintenance(ctx.herald, input);
        return `Maintenance '${created.title}' scheduled and announced.`;
      },
      body,
      201,
    );
  });

  app.post<IdParams & { Body: FormBody }>('/maintenances/:id', async (request, reply) => {
    const body = request.body ?? {};
    return step(request, reply, async () => {
      const components = all(body.components).filter(Boolean);
      const changed = await editMaintenance(ctx.herald, request.params.id, {
        ...windowFields(body),
        ...(components.length ? { components } : {}),
      });
      return `Maintenance '${changed.title}' saved.`;
    });
  });

  app.post<IdParams & { Body: FormBody }>('/maintenances/:id/updates', async (request, reply) => {
    const body = request.body ?? {};
    return step(request, reply, async () => {
      const status = first(body.status);
      const input = maintenanceUpdateSchema.safeParse({ message: first(body.message), ...(status ? { status } : {}) });
      if (!input.success) throw new InputError(describeIssues(input.error).details);
      const { maintenance } = await postMaintenanceUpdate(ctx.herald, request.params.id, input.data);
      return `Update posted on '${maintenance.title}'.`;
    });
  });

  app.post<IdParams>('/maintenances/:id/cancel', async (request, reply) =>
    step(request, reply, async () => {
      const cancelled = await cancelMaintenance(ctx.herald, request.params.id);
      return `Maintenance '${cancelled.title}' cancelled; the cancellation goes where its announcement went.`;
    }),
  );
}

import type { FastifyInstance } from 'fastify';
import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import { nowIso } from '../domain/ids.js';
import {
  createComponentSchema,
  createMaintenanceSchema,
  describeIssues,
  patchComponentSchema,
} from '../domain/schemas.js';
import {
  addComponent,
  changeComponent,
  removeComponent,
  reorderComponent,
  scheduleMaintenance,
} from '../pipeline/catalog.js';
import { advanceMaintenances, maintenanceStatusAt } from '../pipeline/maintenance.js';
import { getComponent, listComponents } from '../store/components-repo.js';
import { getMaintenances } from '../store/maintenances-repo.js';
import { type FormBody, all, first } from './compose-form.js';
import { type ConsoleContext, CONSOLE_PREFIX } from './console-context.js';
import { groupComponents } from './dashboard-routes.js';
import { maintenanceNoticeChannelOf, maintenanceReminderCounts, reminderAt } from './maintenance-reminders.js';

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
      { title: 'Components', groups: groupComponents(await listComponents(db)), ...extra },
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
    const now = nowIso();
    const lead = ctx.reminders.maintenanceLeadMinutes;
    const remindersOn = lead > 0 && maintenanceNoticeChannelOf(ctx.herald.channels) !== undefined;
    const all = (await getMaintenances(db)).reverse();
    const counts = remindersOn
      ? await maintenanceReminderCounts(
          db,
          all.map((m) => m.id),
        )
      : new Map<string, { sent: number; failed: number }>();
    const maintenances = all.map((m) => ({
      ...m,
      current: maintenanceStatusAt(m, now),
      reminder: remindersOn ? { at: reminderAt(m, lead), ...(counts.get(m.id) ?? { sent: 0, failed: 0 }) } : undefined,
    }));
    const components = await listComponents(db);
    return ctx.page(
      request,
      reply,
      'maintenances',
      { title: 'Scheduled maintenance', maintenances, components, remindersOn, reminderLead: lead, ...extra },
      status,
    );
  };

  app.get('/maintenances', async (request, reply) => maintenancesPage(request, reply));

  app.post<{ Body: FormBody }>('/maintenances', async (request, reply) => {
    const body = request.body ?? {};
    const input = {
      title: first(body.title),
      message: first(body.message),
      scheduledFor: utcFromLocalInput(first(body.scheduledFor)),
      scheduledUntil: utcFromLocalInput(first(body.scheduledUntil)),
      components: all(body.components).filter(Boolean),
    };
    const parsed = createMaintenanceSchema.safeParse(input);
    if (!parsed.success)
      return maintenancesPage(request, reply, { error: describeIssues(parsed.error).message, draft: body }, 400);
    try {
      const created = await scheduleMaintenance(ctx.herald, parsed.data);
      // Start/complete follow the schedule; catching up here keeps the page true without waiting for a sweep.
      await advanceMaintenances(store);
      return maintenancesPage(request, reply, { notice: `Maintenance '${created.title}' scheduled.` }, 201);
    } catch (error) {
      if (error instanceof InputError)
        return maintenancesPage(request, reply, { error: error.message, draft: body }, 400);
      throw error;
    }
  });
}

import type { FastifyInstance } from 'fastify';
import { listComponents } from '../store/components-repo.js';
import { listDrafts, resolutionsOffered } from '../store/drafts-repo.js';
import { draftView } from './draft-routes.js';
import { recentDeliveries } from '../store/delivery-reports.js';
import { listIncidentsWithUpdates } from '../store/incidents-repo.js';
import { getMaintenances } from '../store/maintenances-repo.js';
import { countSubscribers } from '../store/subscribers-repo.js';
import { maintenanceStatusAt } from '../pipeline/maintenance-clock.js';
import { nowIso } from '../domain/ids.js';
import { nextUpdateDue } from './cadence.js';
import type { ConsoleContext } from './console-context.js';

export function dashboardRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const { db } = ctx.herald.store;
  app.get('/', async (request, reply) => {
    const now = new Date();
    const [drafts, offers, open, components, maintenances, deliveries, failures, subscribers] = await Promise.all([
      listDrafts(db, 'draft', 50),
      resolutionsOffered(db, 20),
      listIncidentsWithUpdates(db, { unresolvedOnly: true, limit: 50 }),
      listComponents(db),
      getMaintenances(db, { statuses: ['scheduled', 'in_progress', 'verifying'] }),
      recentDeliveries(db, { limit: 10 }),
      recentDeliveries(db, { limit: 10, failuresOnly: true }),
      countSubscribers(db),
    ]);
    const incidents = open.map((incident) => ({
      ...incident,
      due: nextUpdateDue(incident, ctx.cadence, now),
      latest: incident.updates[0],
    }));
    const overdue = incidents.filter((i) => i.due?.overdue).length;
    const at = nowIso();
    return ctx.page(request, reply, 'dashboard', {
      title: 'Dashboard',
      drafts: drafts.map((d) => draftView(d, now.getTime())),
      offers,
      incidents,
      overdue,
      groups: groupComponents(components),
      maintenances: maintenances.map((m) => ({ ...m, current: maintenanceStatusAt(m, at) })),
      deliveries,
      failures,
      subscribers,
      cadence: ctx.cadence,
      remindersOn: ctx.reminders.webhookUrl !== undefined,
    });
  });
}

export function groupComponents<T extends { group: string | null }>(
  components: T[],
): Array<{ name: string | null; components: T[] }> {
  const groups: Array<{ name: string | null; components: T[] }> = [];
  for (const component of components) {
    let group = groups.find((g) => g.name === component.group);
    if (!group) groups.push((group = { name: component.group, components: [] }));
    group.components.push(component);
  }
  return groups;
}

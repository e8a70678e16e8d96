// Seeds a database directly (no queue) with components, incidents, updates and maintenances, for the
// status page tests and bench/statuspage.ts. Rows look exactly like the ones publish() writes.
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../../src/domain/enums.js';
import { newId } from '../../src/domain/ids.js';
import { Templates } from '../../src/render/templates.js';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import { createLogger } from '../../src/runtime/logger.js';
import { StatusSite, type StatusSiteDeps } from '../../src/statuspage/build.js';
import type { StatusPageOptions } from '../../src/statuspage/options.js';
import type { Store } from '../../src/store/store.js';

/** The test suites' status site: "Acme" at https://status.acme.test, built into `dir`, logging nothing. */
export function acmeSite(
  store: Store,
  dir: string,
  options?: StatusPageOptions,
  deps: Partial<StatusSiteDeps> = {},
): StatusSite {
  return new StatusSite({
    store,
    templates: new Templates(TEMPLATES_DIR),
    logger: createLogger({ level: 'silent' }),
    siteName: 'Acme',
    publicUrl: 'https://status.acme.test',
    dir,
    options,
    ...deps,
  });
}

export interface SeedComponent {
  id: string;
  name: string;
}

export async function seedComponents(
  store: Store,
  count: number,
  options: { groups?: number; at?: string; names?: (i: number) => string } = {},
): Promise<SeedComponent[]> {
  const at = options.at ?? '2026-01-01T00:00:00.000Z';
  const groups = options.groups ?? 5;
  const rows = Array.from({ length: count }, (_, i) => ({
    id: newId(),
    name: options.names?.(i) ?? `Service ${i + 1}`,
    group_name: groups > 0 ? `Group ${(i % groups) + 1}` : null,
    description: i % 7 === 0 ? `What service ${i + 1} does` : null,
    position: i,
    status: 'operational',
    created_at: at,
    updated_at: at,
  }));
  for (let i = 0; i < rows.length; i += 100)
    await store.db
      .insertInto('components')
      .values(rows.slice(i, i + 100))
      .execute();
  return rows.map((r) => ({ id: r.id, name: r.name }));
}

export interface SeedIncident {
  title?: string;
  impact?: IncidentImpact;
  status?: IncidentStatus;
  startedAt: string;
  resolvedAt?: string | null;
  components?: Array<{ id: string; name: string; status: ComponentStatus }>;
  messages?: string[];
  postmortem?: string;
}

export async function seedIncident(store: Store, input: SeedIncident): Promise<string> {
  const id = newId();
  const status = input.status ?? (input.resolvedAt ? 'resolved' : 'investigating');
  const messages = input.messages ?? ['We are investigating.'];
  const components = input.components ?? [];
  const lastAt = input.resolvedAt ?? input.startedAt;
  await store.db.transaction().execute(async (tx) => {
    await tx
      .insertInto('incidents')
      .values({
        id,
        title: input.title ?? 'Elevated error rates',
        status,
        impact: input.impact ?? 'minor',
        started_at: input.startedAt,
        resolved_at: input.resolvedAt ?? null,
        postmortem_body: input.postmortem ?? null,
        postmortem_published_at: input.postmortem ? lastAt : null,
        created_at: input.startedAt,
        updated_at: lastAt,
      })
      .execute();
    if (components.length > 0) {
      await tx
        .insertInto('incident_components')
        .values(
          components.map((c) => ({
            incident_id: id,
            component_id: c.id,
            status: input.resolvedAt ? 'operational' : c.status,
          })),
        )
        .execute();
    }
    if (components.length > 0) {
      // The statuses the incident gave its components, and operational again when it was resolved.
      await tx
        .insertInto('component_status_changes')
        .values([
          ...components.map((c) => ({ id: newId(), component_id: c.id, status: c.status, at: input.startedAt })),
          ...(input.resolvedAt
            ? components.map((c) => ({ id: newId(), component_id: c.id, status: 'operational', at: input.resolvedAt! }))
            : []),
        ])
        .execute();
    }
    await tx
      .insertInto('incident_updates')
      .values(
        messages.map((message, i) => {
          const last = i === messages.length - 1;
          return {
            id: newId(),
            incident_id: id,
            number: i + 1,
            status: last ? status : i === 0 ? 'investigating' : 'identified',
            message,
            components_json: JSON.stringify(
              last && input.resolvedAt ? components.map((c) => ({ ...c, status: 'operational' })) : components,
            ),
            channels_json: JSON.stringify(['statuspage']),
            created_at: last ? lastAt : input.startedAt,
          };
        }),
      )
      .execute();
  });
  return id;
}

/** Adds an update to an incident, as publish() would (status, components, updated_at). */
export async function seedUpdate(
  store: Store,
  incidentId: string,
  message: string,
  at: string,
  status: IncidentStatus = 'identified',
): Promise<void> {
  const last = await store.db
    .selectFrom('incident_updates')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('number', 'desc')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('incident_updates')
    .values({ ...last, id: newId(), number: Number(last.number) + 1, status, message, created_at: at })
    .execute();
  await store.db
    .updateTable('incidents')
    .set({ status, updated_at: at, resolved_at: status === 'resolved' ? at : null })
    .where('id', '=', incidentId)
    .execute();
}

export async function seedMaintenance(
  store: Store,
  input: {
    title: string;
    message: string;
    status: 'scheduled' | 'in_progress' | 'completed';
    scheduledFor: string;
    scheduledUntil: string;
    components: string[];
    at?: string;
  },
): Promise<string> {
  const id = newId();
  const at = input.at ?? input.scheduledFor;
  await store.db
    .insertInto('maintenances')
    .values({
      id,
      title: input.title,
      message: input.message,
      status: input.status,
      scheduled_for: input.scheduledFor,
      scheduled_until: input.scheduledUntil,
      created_at: at,
      updated_at: at,
    })
    .execute();
  if (input.components.length)
    await store.db
      .insertInto('maintenance_components')
      .values(input.components.map((c) => ({ maintenance_id: id, component_id: c })))
      .execute();
  return id;
}

/** `count` resolved incidents spread over the `days` before `now`, each touching one or two components. */
export async function seedHistory(
  store: Store,
  components: SeedComponent[],
  count: number,
  now: Date,
  days = 1000,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const start = new Date(now.getTime() - ((i * days) / count + 1) * 86_400_000);
    const end = new Date(start.getTime() + (1 + (i % 5)) * 3_600_000);
    const a = components[i % components.length]!;
    const b = components[(i * 7 + 3) % components.length]!;
    ids.push(
      await seedIncident(store, {
        title: `Past incident ${i + 1}: ${a.name} errors`,
        impact: (['minor', 'major', 'critical', 'none'] as const)[i % 4],
        startedAt: start.toISOString(),
        resolvedAt: end.toISOString(),
        components: [
          { ...a, status: 'partial_outage' },
          ...(a.id === b.id ? [] : [{ ...b, status: 'degraded_performance' as const }]),
        ],
        messages: [
          'We are investigating elevated errors.',
          'We found the cause and are rolling out a fix.',
          'This incident has been resolved.',
        ],
      }),
    );
  }
  return ids;
}

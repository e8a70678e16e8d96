import { InputError, NotFoundError, StateConflictError } from '../domain/errors.js';
import { newId, nowIso } from '../domain/ids.js';
import {
  type CreateMaintenanceInput,
  type MaintenanceUpdateInput,
  type PatchMaintenanceInput,
  createMaintenanceSchema,
  describeIssues,
  maintenanceWindowProblems,
  patchMaintenanceSchema,
} from '../domain/schemas.js';
import type { Maintenance } from '../domain/types.js';
import { type StoredStep, getMaintenance, storeMaintenance } from '../store/maintenances-repo.js';
import {
  type MaintenanceDeps,
  NOTICE_TEXT,
  afterCommit,
  notice,
  noticeChannels,
  storeStep,
} from './maintenance-clock.js';

// A maintenance's whole life as the commander drives it (create, edit, post an update, cancel), its input checked
// here. Each step (announced, reminder, started, update, completed, cancelled) is stored with its notice in one
// transaction, the notice as an update of the maintenance's own thread: every channel sends and threads it like an
// incident update, through the delivery engine. Starting, completing and reminding run as the engine's periodic
// job, in maintenance-clock.ts.

const iso = (value: string) => new Date(value).toISOString();

/** A create body: schema problems and window problems together, one per field. */
export function parseMaintenance(body: unknown, now = nowIso()): CreateMaintenanceInput {
  return parseWith(createMaintenanceSchema, body, now, false) as CreateMaintenanceInput;
}

function parseWith(
  schema: typeof createMaintenanceSchema | typeof patchMaintenanceSchema,
  body: unknown,
  now: string,
  fixedStart: boolean,
  current?: { scheduledFor: string; scheduledUntil: string },
) {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    throw InputError.field('(body)', 'must be a JSON object');
  const parsed = schema.safeParse(body);
  const problems = parsed.success ? [] : describeIssues(parsed.error).details;
  const given = body as { scheduledFor?: unknown; scheduledUntil?: unknown };
  const window = {
    scheduledFor: given.scheduledFor ?? current?.scheduledFor,
    scheduledUntil: given.scheduledUntil ?? current?.scheduledUntil,
  };
  for (const p of maintenanceWindowProblems(window, now, { fixedStart }))
    if (!problems.some((q) => q.field === p.field)) problems.push(p);
  if (problems.length > 0 || !parsed.success) throw new InputError(problems);
  return parsed.data;
}

function checkChannels(deps: MaintenanceDeps, requested: string[] | undefined): string[] | null {
  if (!requested) return null;
  const names = deps.channels.map((c) => c.name);
  const unknown = requested.filter((n) => !names.includes(n));
  if (unknown.length > 0)
    throw InputError.field(
      'channels',
      `unknown or disabled channel ${unknown.map((n) => `'${n}'`).join(', ')}; enabled channels: ${names.join(', ') || '(none)'}`,
    );
  return [...new Set(requested)];
}

const queueAnswers = (deps: MaintenanceDeps) => () => deps.queues.assertAvailable({ answeredWithinMs: 1_000 });

export async function createMaintenance(
  deps: MaintenanceDeps,
  input: CreateMaintenanceInput,
  now = nowIso(),
): Promise<Maintenance> {
  const channels = checkChannels(deps, input.channels);
  const step = await storeMaintenance(
    deps.store,
    {
      id: newId(),
      title: input.title,
      message: input.message,
      scheduledFor: iso(input.scheduledFor),
      scheduledUntil: iso(input.scheduledUntil),
      channels,
    },
    [...new Set(input.components)],
    notice(deps, 'scheduled', NOTICE_TEXT.announced),
    now,
    queueAnswers(deps),
  );
  await afterCommit(deps, step);
  return step.maintenance;
}

async function existing(deps: MaintenanceDeps, id: string): Promise<Maintenance> {
  const m = await getMaintenance(deps.store.db, id);
  if (!m) throw new NotFoundError('maintenance', id);
  return m;
}

const conflictIfOver = (m: Maintenance, doing: string) => {
  if (m.cancelledAt) throw new StateConflictError(`maintenance is cancelled; it cannot be ${doing}`);
  if (m.status === 'completed') throw new StateConflictError(`maintenance is completed; it cannot be ${doing}`);
};

const changedMeanwhile = () => new StateConflictError('maintenance changed meanwhile; look again');

/**
 * Title, message, window, components. Once it has started its start stays. A new window is announced (rescheduled)
 * on its channels; other changes show on the page.
 */
export async function editMaintenance(
  deps: MaintenanceDeps,
  id: string,
  body: unknown,
  now = nowIso(),
): Promise<Maintenance> {
  const m = await existing(deps, id);
  const started = m.status !== 'scheduled';
  const patch = parseWith(patchMaintenanceSchema, body, now, started, m) as PatchMaintenanceInput;
  conflictIfOver(m, 'edited');
  if (started && patch.scheduledFor !== undefined && iso(patch.scheduledFor) !== m.scheduledFor)
    throw new StateConflictError('maintenance has started; its start cannot move (change scheduledUntil instead)');
  const fields = {
    ...(patch.title !== undefined ? { title: patch.title } : {}),
    ...(patch.message !== undefined ? { message: patch.message } : {}),
    ...(patch.scheduledFor !== undefined ? { scheduledFor: iso(patch.scheduledFor) } : {}),
    ...(patch.scheduledUntil !== undefined ? { scheduledUntil: iso(patch.scheduledUntil) } : {}),
  };
  const moved =
    (fields.scheduledFor !== undefined && fields.scheduledFor !== m.scheduledFor) ||
    (fields.scheduledUntil !== undefined && fields.scheduledUntil !== m.scheduledUntil);
  const step = await storeStep(
    deps,
    id,
    {
      from: [m.status],
      fields,
      ...(patch.components ? { components: [...new Set(patch.components)] } : {}),
    },
    moved ? notice(deps, m.status, NOTICE_TEXT.rescheduled) : null,
    now,
    queueAnswers(deps),
  );
  if (!step) throw changedMeanwhile();
  await afterCommit(deps, step);
  return step.maintenance;
}

/** A commander's update, sent like an incident update; `completed` ends it (its components back in service). */
export async function postMaintenanceUpdate(
  deps: MaintenanceDeps,
  id: string,
  input: MaintenanceUpdateInput,
  now = nowIso(),
): Promise<StoredStep & { notice: NonNullable<StoredStep['notice']> }> {
  const m = await existing(deps, id);
  conflictIfOver(m, 'updated');
  if (input.status && input.status !== 'completed' && m.status === 'scheduled')
    throw new StateConflictError(
      `maintenance has not started (it starts ${m.scheduledFor}); it cannot be ${input.status} yet`,
    );
  const status = input.status ?? m.status;
  const step = await storeStep(
    deps,
    id,
    { from: [m.status], status },
    (after) => ({ status, message: input.message, channels: noticeChannels(deps, after).send }),
    now,
    queueAnswers(deps),
  );
  if (!step?.notice) throw changedMeanwhile();
  await afterCommit(deps, step);
  return step as StoredStep & { notice: NonNullable<StoredStep['notice']> };
}

/** Cancels it; the cancellation goes where its announcement went. */
export async function cancelMaintenance(deps: MaintenanceDeps, id: string, now = nowIso()): Promise<Maintenance> {
  const m = await existing(deps, id);
  conflictIfOver(m, 'cancelled');
  const announcement = m.updates[m.updates.length - 1];
  const step = await storeStep(
    deps,
    id,
    { from: [m.status], cancel: true },
    announcement
      ? (after) => ({ status: 'cancelled', message: NOTICE_TEXT.cancelled(after), channels: announcement.channels })
      : null,
    now,
    queueAnswers(deps),
  );
  if (!step) throw changedMeanwhile();
  await afterCommit(deps, step);
  return step.maintenance;
}

import { type Channel, sendsComponentEvents } from '../channels/channel.js';
import type { MaintenanceStatus } from '../domain/enums.js';
import { nowIso } from '../domain/ids.js';
import type { Maintenance } from '../domain/types.js';
import { formatUtc } from '../render/labels.js';
import type { Logger } from '../runtime/logger.js';
import {
  type NoticeToStore,
  type StepChange,
  type StoredStep,
  getMaintenances,
  storeMaintenanceStep,
} from '../store/maintenances-repo.js';
import type { Store } from '../store/store.js';
import type { EngineJob } from './engine.js';
import { enqueueComponentEvents } from './publish.js';
import type { DeliveryQueues } from './queues.js';

// The maintenance clock and what every step of a maintenance shares: each step (announced, reminder, started,
// update, completed, cancelled) is stored with its notice in one transaction, the notice as an update of the
// maintenance's own thread. Starting, completing and reminding run as the engine's periodic job
// (maintenanceClockJob), each step claimed in the database so it happens once, however many workers run. Kept apart
// from maintenance.ts (the commander's steps and their input checks) so a worker does not load the input schemas
// and zod.

export interface MaintenanceDeps {
  store: Store;
  queues: DeliveryQueues;
  channels: ReadonlyArray<Pick<Channel, 'name' | 'refresh'> & { sendComponentChange?: unknown }>;
  logger: Logger;
}

/** Scheduled → in_progress at scheduledFor, → completed at scheduledUntil (Statuspage's auto-transitions). */
export function maintenanceStatusAt(
  m: { scheduledFor: string; scheduledUntil: string },
  now: string,
): MaintenanceStatus {
  if (now >= m.scheduledUntil) return 'completed';
  if (now >= m.scheduledFor) return 'in_progress';
  return 'scheduled';
}

/** Where a maintenance's notices go: its own channels (or every enabled one) among those enabled now. */
export function noticeChannels(deps: MaintenanceDeps, m: Pick<Maintenance, 'channels'>) {
  const enabled = deps.channels.map((c) => c.name);
  const wanted = (m.channels ?? enabled).filter((name) => enabled.includes(name));
  const showsState = new Set(deps.channels.filter((c) => c.refresh).map((c) => c.name));
  // A channel that shows current state (the status page) shows the maintenance itself: it is refreshed, not sent to.
  return { send: wanted.filter((n) => !showsState.has(n)), refresh: [...showsState] };
}

const window = (m: Maintenance) => `from ${formatUtc(m.scheduledFor)} to ${formatUtc(m.scheduledUntil)}`;

/** The text of each step's notice, in Markdown like a commander's update. */
export const NOTICE_TEXT = {
  announced: (m: Maintenance) => `**Scheduled maintenance** ${window(m)}.\n\n${m.message}`,
  reminder: (m: Maintenance) =>
    `**Maintenance starts ${formatUtc(m.scheduledFor)}** and is planned to end ${formatUtc(m.scheduledUntil)}.\n\n${m.message}`,
  rescheduled: (m: Maintenance) => `**Maintenance rescheduled**: now ${window(m)}.\n\n${m.message}`,
  started: (m: Maintenance) => `**Maintenance has started.** It is planned to end ${formatUtc(m.scheduledUntil)}.`,
  completed: () => '**Maintenance completed.** Everything it affected is back in service.',
  cancelled: (m: Maintenance) => `**Maintenance cancelled.** The work planned ${window(m)} will not take place.`,
};

/**
 * A step, its status changes stored as component events of their own unless its notice goes to a channel that
 * sends component events (then the notice carries them).
 */
export function storeStep(
  deps: MaintenanceDeps,
  id: string,
  change: StepChange,
  ...rest: Parameters<typeof storeMaintenanceStep> extends [unknown, unknown, unknown, ...infer R] ? R : never
) {
  const componentEventChannels = deps.channels.filter(sendsComponentEvents).map((c) => c.name);
  return storeMaintenanceStep(deps.store, id, { ...change, componentEventChannels }, ...rest);
}

export async function afterCommit(deps: MaintenanceDeps, step: StoredStep | null): Promise<void> {
  if (!step) return;
  await enqueueComponentEvents(deps, step.componentEvents ?? []);
  if (step.notice) {
    const notEnqueued = await deps.queues.enqueueAll(step.notice.deliveries);
    if (notEnqueued.length > 0)
      deps.logger.warn(
        { maintenanceId: step.maintenance.id, deliveries: notEnqueued },
        'maintenance notice stored but not all jobs were enqueued; the sweeper will enqueue them',
      );
  }
  const refresh = deps.channels.filter((c) => c.refresh).map((c) => c.name);
  if (refresh.length === 0) return;
  try {
    await deps.queues.enqueueRefresh(refresh, { reason: 'maintenances', full: false });
  } catch (error) {
    deps.logger.warn({ err: (error as Error).message }, 'could not ask for a refresh of the status page');
  }
}

export const notice =
  (deps: MaintenanceDeps, status: NoticeToStore['status'], text: (m: Maintenance) => string) =>
  (m: Maintenance): NoticeToStore => ({ status, message: text(m), channels: noticeChannels(deps, m).send });

export interface ClockResult {
  reminded: string[];
  started: string[];
  completed: string[];
}

/**
 * What is due at `now`: completions, starts and reminders (`leadMinutes` before the start, unless it was announced
 * within that time). Each is claimed in the database: run twice at once, the second finds nothing left to do.
 */
export async function runMaintenanceClock(
  deps: MaintenanceDeps,
  now = nowIso(),
  leadMinutes = 0,
): Promise<ClockResult> {
  const result: ClockResult = { reminded: [], started: [], completed: [] };
  const open = await getMaintenances(deps.store.db, { statuses: ['scheduled', 'in_progress', 'verifying'] });
  for (const m of open) {
    let step: StoredStep | null = null;
    if (now >= m.scheduledUntil) {
      step = await storeStep(
        deps,
        m.id,
        { from: ['scheduled', 'in_progress', 'verifying'], status: 'completed' },
        notice(deps, 'completed', NOTICE_TEXT.completed),
        now,
      );
      if (step) result.completed.push(m.id);
    } else if (now >= m.scheduledFor && m.status === 'scheduled') {
      step = await storeStep(
        deps,
        m.id,
        { from: ['scheduled'], status: 'in_progress' },
        notice(deps, 'in_progress', NOTICE_TEXT.started),
        now,
      );
      if (step) result.started.push(m.id);
    } else if (m.status === 'scheduled' && leadMinutes > 0 && !m.remindedAt) {
      const remindAt = new Date(Date.parse(m.scheduledFor) - leadMinutes * 60_000).toISOString();
      // Announced after the reminder time: the announcement said it all.
      if (now >= remindAt && m.createdAt < remindAt) {
        step = await storeStep(
          deps,
          m.id,
          { from: ['scheduled'], notReminded: true, remind: true },
          notice(deps, 'scheduled', NOTICE_TEXT.reminder),
          now,
        );
        if (step) result.reminded.push(m.id);
      }
    }
    await afterCommit(deps, step);
  }
  return result;
}

export const MAINTENANCE_QUEUE = 'maintenance-clock';

/** HERALD_MAINTENANCE_CHECK_SECONDS (default 15): how often maintenances are started, completed and reminded. */
export function readMaintenanceCheckMs(vars: NodeJS.ProcessEnv): number {
  const raw = vars.HERALD_MAINTENANCE_CHECK_SECONDS;
  if (raw === undefined || raw === '') return 15_000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0.2 || value > 3600)
    throw new Error(`HERALD_MAINTENANCE_CHECK_SECONDS must be a number of seconds from 0.2 to 3600, got '${raw}'`);
  return Math.round(value * 1000);
}

/** The clock as the engine's periodic job: one job per period across processes, each step claimed once. */
export function maintenanceClockJob(
  deps: MaintenanceDeps,
  settings: { intervalMs: number; leadMinutes: number },
): EngineJob<Record<string, never>, ClockResult> {
  return {
    queue: MAINTENANCE_QUEUE,
    concurrency: 1,
    every: { ms: settings.intervalMs, name: 'tick' },
    process: async () => {
      const result = await runMaintenanceClock(deps, nowIso(), settings.leadMinutes);
      const moved = result.reminded.length + result.started.length + result.completed.length;
      if (moved > 0) deps.logger.info(result, 'maintenances moved on');
      return result;
    },
  };
}

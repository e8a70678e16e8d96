import type { IncidentWithUpdates } from '../domain/types.js';

export interface CadenceSettings {
  /** Minutes after an incident opens by which the first follow-up (acknowledgement) is due. */
  firstMinutes: number;
  /** Minutes after each later update by which the next one is due. */
  nextMinutes: number;
}

export const DEFAULT_CADENCE: CadenceSettings = { firstMinutes: 10, nextMinutes: 30 };

function minutes(vars: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1440) {
    throw new Error(`${name} must be a whole number of minutes from 1 to 1440, got '${raw}'`);
  }
  return value;
}

/** HERALD_CADENCE_FIRST_MINUTES (default 10) and HERALD_CADENCE_NEXT_MINUTES (default 30). */
export function readCadence(vars: NodeJS.ProcessEnv): CadenceSettings {
  return {
    firstMinutes: minutes(vars, 'HERALD_CADENCE_FIRST_MINUTES', DEFAULT_CADENCE.firstMinutes),
    nextMinutes: minutes(vars, 'HERALD_CADENCE_NEXT_MINUTES', DEFAULT_CADENCE.nextMinutes),
  };
}

export interface Due {
  dueAt: string;
  overdue: boolean;
  /** "due in 7 min" / "overdue by 12 min". */
  label: string;
  which: 'first follow-up' | 'next update';
}

/** When the incident's next public update is due; undefined once it is resolved. */
export function nextUpdateDue(
  incident: Pick<IncidentWithUpdates, 'status' | 'startedAt' | 'updates'>,
  settings: CadenceSettings,
  now: Date = new Date(),
): Due | undefined {
  if (incident.status === 'resolved' || incident.status === 'postmortem') return undefined;
  const latest = incident.updates.reduce<string>(
    (max, u) => (u.createdAt > max ? u.createdAt : max),
    incident.startedAt,
  );
  const first = incident.updates.length <= 1;
  const base = Date.parse(first ? incident.startedAt : latest);
  const dueMs = base + (first ? settings.firstMinutes : settings.nextMinutes) * 60_000;
  const diffMin = Math.round((dueMs - now.getTime()) / 60_000);
  const overdue = dueMs <= now.getTime();
  return {
    dueAt: new Date(dueMs).toISOString(),
    overdue,
    label: overdue ? `overdue by ${Math.max(0, -diffMin)} min` : `due in ${Math.max(0, diffMin)} min`,
    which: first ? 'first follow-up' : 'next update',
  };
}

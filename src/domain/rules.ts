import { COMPONENT_STATUS_SEVERITY, type ComponentStatus, type IncidentStatus } from './enums.js';
import { StateConflictError } from './errors.js';

export interface IncidentStateBefore {
  status: IncidentStatus;
  components: ReadonlyArray<{ id: string; status: ComponentStatus }>;
}

export interface UpdateRequest {
  status?: IncidentStatus | undefined;
  /** Component id → status named by this update. */
  components?: Readonly<Record<string, ComponentStatus>> | undefined;
}

export interface UpdatePlan {
  status: IncidentStatus;
  resolves: boolean;
  reopens: boolean;
  /** Every component the incident affects after the update, with its status. */
  affected: Array<{ id: string; status: ComponentStatus }>;
}

const isClosed = (status: IncidentStatus) => status === 'resolved' || status === 'postmortem';

/**
 * What an update does to its incident. `before` is null when the update opens the incident.
 * Rules: the update's status moves the incident; resolving returns every affected component to
 * `operational` unless the update names its status; a closed incident can't be resolved again, only
 * reopened (investigating/identified/monitoring) or given a postmortem through its own route.
 */
export function planUpdate(before: IncidentStateBefore | null, request: UpdateRequest): UpdatePlan {
  const named = request.components ?? {};
  if (request.status === 'postmortem') {
    throw new StateConflictError(
      "status 'postmortem' is set by publishing a postmortem (POST /api/v1/incidents/:id/postmortem), not by an update",
    );
  }
  const status: IncidentStatus = request.status ?? before?.status ?? 'investigating';
  if (before && isClosed(before.status) && isClosed(status)) {
    throw new StateConflictError(
      `incident is already ${before.status}; reopen it with status investigating, identified or monitoring`,
    );
  }
  const resolves = status === 'resolved';
  const reopens = before !== null && isClosed(before.status) && !isClosed(status);

  const affected = new Map<string, ComponentStatus>();
  for (const component of before?.components ?? []) affected.set(component.id, component.status);
  for (const [id, componentStatus] of Object.entries(named)) affected.set(id, componentStatus);
  if (resolves) {
    for (const id of affected.keys()) {
      if (!(id in named)) affected.set(id, 'operational');
    }
  }
  return {
    status,
    resolves,
    reopens,
    affected: [...affected].map(([id, componentStatus]) => ({ id, status: componentStatus })),
  };
}

/** Only a resolved incident (or one with a postmortem already) can get a postmortem. */
export function assertCanPublishPostmortem(status: IncidentStatus): void {
  if (!isClosed(status)) {
    throw new StateConflictError(`incident is ${status}; resolve it before publishing a postmortem`);
  }
}

/** The status a component shows: the worst of what currently affects it, or operational. */
export function worstStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const status of statuses) {
    if (COMPONENT_STATUS_SEVERITY[status] > COMPONENT_STATUS_SEVERITY[worst]) worst = status;
  }
  return worst;
}

import { type Kysely, type Selectable, sql } from 'kysely';
import type { ComponentStatus, IncidentStatus, MaintenanceStatus, NoticeStatus } from '../domain/enums.js';
import { InputError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { worstStatus } from '../domain/rules.js';
import type { AffectedComponent, Delivery, IncidentUpdate, Maintenance, MaintenanceNotice } from '../domain/types.js';
import { recordComponentEvents, setComponentStatuses, unknownComponentIds } from './components-repo.js';
import type { Dialect } from './db.js';
import type { Executor } from './executor.js';
import { componentsUnderMaintenance, getIncident, openIncidentStatuses } from './incidents-repo.js';
import type { Database, MaintenancesTable } from './schema.js';
import { storeUpdate } from './update-rows.js';

interface StoreHandle {
  db: Kysely<Database>;
  dialect: Dialect;
}

export interface MaintenanceFilter {
  ids?: string[];
  statuses?: MaintenanceStatus[];
  /** Cancelled maintenances are left out unless asked for (the page and its JSON never show them). */
  includeCancelled?: boolean;
  /** Only those not over yet, or changed since this time (ISO). */
  openOrChangedSince?: string;
}

export async function getMaintenances(db: Executor, filter: MaintenanceFilter = {}): Promise<Maintenance[]> {
  let query = db.selectFrom('maintenances').selectAll().orderBy('scheduled_for');
  if (filter.ids) query = query.where('id', 'in', filter.ids.length ? filter.ids : ['']);
  if (filter.statuses) query = query.where('status', 'in', filter.statuses);
  if (!filter.includeCancelled) query = query.where('cancelled_at', 'is', null);
  const since = filter.openOrChangedSince;
  if (since !== undefined)
    query = query.where((eb) =>
      eb.or([eb('status', 'in', ['scheduled', 'in_progress', 'verifying']), eb('updated_at', '>=', since)]),
    );
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const links = await db
    .selectFrom('maintenance_components as mc')
    .innerJoin('components as c', 'c.id', 'mc.component_id')
    .select(['mc.maintenance_id', 'c.id', 'c.name', 'c.status'])
    .where('mc.maintenance_id', 'in', ids)
    .orderBy('c.position')
    .execute();
  const threads = rows.flatMap((r) => (r.thread_id ? [r.thread_id] : []));
  const notices = threads.length
    ? await db
        .selectFrom('incident_updates')
        .select(['id', 'incident_id', 'status', 'message', 'channels_json', 'created_at'])
        .where('incident_id', 'in', threads)
        .orderBy('number', 'desc')
        .execute()
    : [];
  return rows.map((row) =>
    toMaintenance(
      row,
      links
        .filter((l) => l.maintenance_id === row.id)
        .map((l) => ({ id: l.id, name: l.name, status: l.status as ComponentStatus })),
      notices
        .filter((n) => n.incident_id === row.thread_id)
        .map((n) => ({
          id: n.id,
          status: n.status as NoticeStatus,
          message: n.message,
          channels: JSON.parse(n.channels_json) as string[],
          createdAt: n.created_at,
        })),
    ),
  );
}

export async function getMaintenance(db: Executor, id: string): Promise<Maintenance | undefined> {
  return (await getMaintenances(db, { ids: [id], includeCancelled: true }))[0];
}

function toMaintenance(
  row: Selectable<MaintenancesTable>,
  components: AffectedComponent[],
  updates: MaintenanceNotice[],
): Maintenance {
  return {
    id: row.id,
    title: row.title,
    message: row.message,
    status: row.status as MaintenanceStatus,
    scheduledFor: row.scheduled_for,
    scheduledUntil: row.scheduled_until,
    components,
    channels: row.channels_json ? (JSON.parse(row.channels_json) as string[]) : null,
    cancelledAt: row.cancelled_at ?? null,
    remindedAt: row.reminded_at ?? null,
    revision: Number(row.revision ?? 0),
    updates,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A notice to store with a step: its status, text and the channels that get a delivery row. */
export interface NoticeToStore {
  status: NoticeStatus;
  message: string;
  channels: string[];
}

export interface StoredStep {
  maintenance: Maintenance;
  notice?: { update: IncidentUpdate; deliveries: Delivery[] };
  /** Component events stored for status changes no notice carries to their channels (see StepChange). */
  componentEvents?: string[];
}

/**
 * Stores a new maintenance, its components, the components' statuses that follow and its announcement (the first
 * update of its thread, one delivery row per channel), in one transaction. An unknown component is bad input.
 */
export async function storeMaintenance(
  store: StoreHandle,
  m: {
    id: string;
    title: string;
    message: string;
    scheduledFor: string;
    scheduledUntil: string;
    channels: string[] | null;
  },
  componentIds: string[],
  announcement: (m: Maintenance) => NoticeToStore,
  now: string,
  beforeCommit: () => Promise<void> = async () => undefined,
): Promise<StoredStep> {
  return store.db.transaction().execute(async (tx) => {
    const unknown = await unknownComponentIds(tx, componentIds);
    if (unknown.length > 0) {
      throw new InputError(unknown.map((c) => ({ field: 'components', problem: `no component with id '${c}'` })));
    }
    await tx
      .insertInto('maintenances')
      .values({
        id: m.id,
        title: m.title,
        message: m.message,
        status: 'scheduled',
        scheduled_for: m.scheduledFor,
        scheduled_until: m.scheduledUntil,
        channels_json: m.channels ? JSON.stringify(m.channels) : null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('maintenance_components')
      .values(componentIds.map((c) => ({ maintenance_id: m.id, component_id: c })))
      .execute();
    const created = (await getMaintenance(tx, m.id))!;
    const notice = await storeNotice(tx, store.dialect, created, announcement(created), now);
    await beforeCommit();
    return { maintenance: (await getMaintenance(tx, m.id))!, notice };
  });
}

export interface StepChange {
  /** The step happens only if the maintenance is (still) in one of these statuses, not cancelled… */
  from: MaintenanceStatus[];
  /** …and, for the reminder, not reminded yet. */
  notReminded?: boolean;
  status?: MaintenanceStatus;
  cancel?: boolean;
  remind?: boolean;
  fields?: Partial<{ title: string; message: string; scheduledFor: string; scheduledUntil: string }>;
  components?: string[];
  /**
   * The channels that send component events (webhooks): a status change this step makes is stored as a component
   * event of its own unless its notice goes to one of them (and carries the change there).
   */
  componentEventChannels?: string[];
}

/**
 * One step of a maintenance's life (start, completion, reminder, edit, update, cancellation) and its notice, in one
 * transaction. The step is claimed with a conditional UPDATE first: of several processes taking the same step at
 * once, one changes the row and stores the notice; the others get null and store nothing. The maintenance's
 * components then show what affects them now (an incident, or this maintenance while it is in progress).
 */
export async function storeMaintenanceStep(
  store: StoreHandle,
  id: string,
  change: StepChange,
  notice: ((m: Maintenance) => NoticeToStore | null) | null,
  now: string,
  beforeCommit: () => Promise<void> = async () => undefined,
): Promise<StoredStep | null> {
  return store.db.transaction().execute(async (tx) => {
    const before = await getMaintenance(tx, id);
    if (!before) return null;
    if (change.components) {
      const unknown = await unknownComponentIds(tx, change.components);
      if (unknown.length > 0)
        throw new InputError(unknown.map((c) => ({ field: 'components', problem: `no component with id '${c}'` })));
    }
    const set: Partial<MaintenancesTable> = { updated_at: now };
    if (change.status) set.status = change.status;
    if (change.cancel) {
      set.cancelled_at = now;
      set.status = 'completed';
    }
    if (change.remind) set.reminded_at = now;
    const f = change.fields ?? {};
    if (f.title !== undefined) set.title = f.title;
    if (f.message !== undefined) set.message = f.message;
    if (f.scheduledFor !== undefined) set.scheduled_for = f.scheduledFor;
    if (f.scheduledUntil !== undefined) set.scheduled_until = f.scheduledUntil;
    // Every step but the reminder changes what its calendar event says: the event's SEQUENCE goes up.
    const revises = Boolean(change.status || change.cancel || change.fields || change.components);
    let claim = tx
      .updateTable('maintenances')
      .set(revises ? { ...set, revision: sql<number>`revision + 1` } : set)
      .where('id', '=', id)
      .where('status', 'in', change.from)
      .where('cancelled_at', 'is', null);
    if (change.notReminded) claim = claim.where('reminded_at', 'is', null);
    const claimed = await claim.executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return null;

    const touched = new Set(before.components.map((c) => c.id));
    if (change.components) {
      await tx.deleteFrom('maintenance_components').where('maintenance_id', '=', id).execute();
      await tx
        .insertInto('maintenance_components')
        .values(change.components.map((c) => ({ maintenance_id: id, component_id: c })))
        .execute();
      for (const c of change.components) touched.add(c);
    }
    if (f.title !== undefined && before.updates.length > 0) {
      const thread = await tx.selectFrom('maintenances').select('thread_id').where('id', '=', id).executeTakeFirst();
      if (thread?.thread_id)
        await tx
          .updateTable('incidents')
          .set({ title: f.title, updated_at: now })
          .where('id', '=', thread.thread_id)
          .execute();
    }
    const senders = change.componentEventChannels ?? [];
    const changes = await recomputeComponentStatuses(tx, [...touched], now, senders.length > 0);
    const after = (await getMaintenance(tx, id))!;
    const toStore = notice?.(after) ?? null;
    const stored = toStore ? await storeNotice(tx, store.dialect, after, toStore, now) : undefined;
    const carried = toStore?.channels.some((c) => senders.includes(c)) === true;
    const events = senders.length > 0 && !carried ? changes : [];
    await recordComponentEvents(tx, events, now);
    await beforeCommit();
    return {
      maintenance: stored ? (await getMaintenance(tx, id))! : after,
      notice: stored,
      componentEvents: events.map((e) => e.id),
    };
  });
}

/**
 * A notice as an update of the maintenance's thread: an incidents row marked with maintenance_id (made with the
 * first notice, never listed or shown as an incident) whose updates every channel threads like an incident's.
 */
async function storeNotice(
  tx: Executor,
  dialect: Dialect,
  m: Maintenance,
  notice: NoticeToStore,
  now: string,
): Promise<{ update: IncidentUpdate; deliveries: Delivery[] }> {
  const row = await tx.selectFrom('maintenances').select('thread_id').where('id', '=', m.id).executeTakeFirst();
  let threadId = row?.thread_id ?? null;
  if (!threadId) {
    threadId = newId();
    await tx
      .insertInto('incidents')
      .values({
        id: threadId,
        title: m.title,
        // Resolved, so nothing that looks for open incidents (reminders, component statuses) ever finds it.
        status: 'resolved',
        impact: 'none',
        started_at: now,
        resolved_at: now,
        postmortem_body: null,
        postmortem_published_at: null,
        created_at: now,
        updated_at: now,
        maintenance_id: m.id,
      })
      .execute();
    await tx.updateTable('maintenances').set({ thread_id: threadId }).where('id', '=', m.id).execute();
  }
  const thread = (await getIncident(tx, threadId))!;
  // The notice shows the maintenance's components (the thread row has none of its own).
  return storeUpdate(
    tx,
    dialect,
    { ...thread, title: m.title, components: m.components },
    notice.status as unknown as IncidentStatus,
    { message: notice.message },
    notice.channels,
    now,
    null,
  );
}

/** Recomputes the components from what affects them now: open incidents, and maintenances in progress. */
async function recomputeComponentStatuses(tx: Executor, ids: string[], now: string, track: boolean) {
  if (ids.length === 0) return [];
  const incidents = await openIncidentStatuses(tx, ids, '');
  const maintained = await componentsUnderMaintenance(tx, ids);
  return setComponentStatuses(
    tx,
    ids.map((id) => ({
      id,
      status: worstStatus([
        ...incidents.filter((i) => i.component_id === id).map((i) => i.status as ComponentStatus),
        ...(maintained.has(id) ? (['under_maintenance'] as const) : []),
      ]),
    })),
    now,
    { track },
  );
}

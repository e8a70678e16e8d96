import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AlertSource, AlertState, Draft, DraftProposal, DraftState } from '../domain/drafts.js';
import type { IncidentImpact, IncidentStatus } from '../domain/enums.js';
import type { AffectedComponent } from '../domain/types.js';
import type { Dialect } from './db.js';
import type { Executor } from './executor.js';
import type { Database, IncidentDraftsTable } from './schema.js';

// Drafts proposed by alerts, and the alert groups that attach to them. A draft's row is the whole draft: nothing
// of it is in the incidents table (so on no public page) until it is published under its own id.

type Row = Selectable<IncidentDraftsTable>;

export function toDraft(row: Row): Draft {
  const alerts = Object.entries(JSON.parse(row.alerts_json) as Record<string, AlertState>).map(([key, a]) => ({
    key,
    ...a,
  }));
  return {
    id: row.id,
    state: row.state as DraftState,
    draft: row.state === 'draft',
    source: row.source as AlertSource,
    groupKey: row.group_key,
    rule: row.rule,
    title: row.title,
    message: row.message,
    status: row.status as IncidentStatus,
    impact: row.impact as IncidentImpact,
    components: JSON.parse(row.components_json) as AffectedComponent[],
    channels: row.channels_json ? (JSON.parse(row.channels_json) as string[]) : null,
    alerts,
    firing: alerts.filter((a) => a.status === 'firing').length,
    autoResolve: Boolean(Number(row.auto_resolve)),
    autoPublishAt: row.autopublish_at,
    resolvedAt: row.resolved_at,
    closedBy: row.closed_by as Draft['closedBy'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
    dismissedAt: row.dismissed_at,
  };
}

export async function getDraft(db: Executor, id: string): Promise<Draft | undefined> {
  const row = await db.selectFrom('incident_drafts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toDraft(row) : undefined;
}

/** Drafts in `state`, newest first. */
export async function listDrafts(db: Executor, state: DraftState = 'draft', limit = 100): Promise<Draft[]> {
  const rows = await db
    .selectFrom('incident_drafts')
    .selectAll()
    .where('state', '=', state)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toDraft);
}

/** Published incidents whose alerts have all resolved while the incident is still open: the console offers to resolve them. */
export async function resolutionsOffered(db: Executor, limit = 50): Promise<Draft[]> {
  const rows = await db
    .selectFrom('incident_drafts as d')
    .innerJoin('incidents as i', 'i.id', 'd.id')
    .selectAll('d')
    .where('d.state', '=', 'published')
    .where('d.resolved_at', 'is not', null)
    .where('i.status', 'in', ['investigating', 'identified', 'monitoring'])
    .orderBy('d.resolved_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toDraft);
}

/** Drafts still waiting whose holding statement is due by `now`: the sweep schedules their job again. */
export async function holdingStatementsDue(db: Executor, now: string, limit = 100): Promise<Draft[]> {
  const rows = await db
    .selectFrom('incident_drafts')
    .selectAll()
    .where('state', '=', 'draft')
    .where('autopublish_at', 'is not', null)
    .where('autopublish_at', '<=', now)
    .limit(limit)
    .execute();
  return rows.map(toDraft);
}

/**
 * Inside the publish transaction: the draft becomes published, once. Returns false when it is no longer a draft
 * (published or dismissed meanwhile), and the caller rolls back.
 */
export async function claimDraftForPublish(
  tx: Executor,
  id: string,
  by: 'commander' | 'holding',
  now: string,
): Promise<boolean> {
  const result = await tx
    .updateTable('incident_drafts')
    .set({ state: 'published', closed_by: by, published_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'draft')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A commander dismisses a draft: 'dismissed' when it was one, 'already' when dismissed before, else the state it has. */
export async function dismissDraft(
  db: Executor,
  id: string,
  now: string,
): Promise<'dismissed' | 'already' | 'published' | 'unknown'> {
  const result = await db
    .updateTable('incident_drafts')
    .set({ state: 'dismissed', closed_by: 'commander', dismissed_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'draft')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return 'dismissed';
  const row = await db.selectFrom('incident_drafts').select('state').where('id', '=', id).executeTakeFirst();
  if (!row) return 'unknown';
  return row.state === 'dismissed' ? 'already' : 'published';
}

/** Marks the draft as paged, once: false when another process paged it already. */
export async function claimDraftPage(db: Executor, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('incident_drafts')
    .set({ paged_at: now })
    .where('id', '=', id)
    .where('paged_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Gives a page back for another attempt (the send surely did not arrive). */
export async function releaseDraftPage(db: Executor, id: string): Promise<void> {
  await db.updateTable('incident_drafts').set({ paged_at: null }).where('id', '=', id).execute();
}

/** Claims the cadence reminder of a draft for one due time: false when it was sent for this due time already. */
export async function claimDraftReminder(db: Executor, id: string, dueAt: string): Promise<boolean> {
  const result = await db
    .updateTable('incident_drafts')
    .set({ reminded_due_at: dueAt })
    .where('id', '=', id)
    .where('state', '=', 'draft')
    .where((eb) => eb.or([eb('reminded_due_at', 'is', null), eb('reminded_due_at', '<', dueAt)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface AttachRequest {
  source: AlertSource;
  groupKey: string;
  /** The alerts of this delivery by key (fingerprint, PagerDuty incident id, generic id). */
  alerts: Record<string, AlertState>;
  /** Called when the group needs a new draft. */
  proposal: () => DraftProposal;
  /** A group that fires again this soon after its draft was closed stays on that draft. */
  flapWindowMs: number;
  now: string;
}

export type AttachOutcome =
  /** A resolved alert of a group Herald has no draft for: nothing to do. */
  | { kind: 'ignored' }
  | { kind: 'created'; draft: Draft }
  /** Nothing new (a resend, a retry, an older event). */
  | { kind: 'unchanged'; draft: Draft }
  | {
      kind: 'changed';
      draft: Draft;
      /** Every alert of the group is resolved now and was not before. */
      allResolved: boolean;
      /** A draft closed by its alerts came back within the flap window. */
      revived: boolean;
    };

/**
 * Attaches one delivery of alerts to its group's draft, in one transaction: a new draft for a group that fires
 * with none; the alerts' states merged otherwise, where a status equal to the one stored, or older than its last
 * change, changes nothing (Alertmanager's resends, PagerDuty's retries). A draft whose alerts all resolve before it
 * was published is dismissed; one they close that fires again within the flap window is a draft again.
 */
export async function attachAlerts(
  store: { db: Kysely<Database>; dialect: Dialect },
  request: AttachRequest,
): Promise<AttachOutcome> {
  return store.db.transaction().execute(async (tx) => {
    const group = await lockGroup(tx, store.dialect, request.source, request.groupKey);
    const anyFiring = Object.values(request.alerts).some((a) => a.status === 'firing');
    const current = group
      ? await tx.selectFrom('incident_drafts').selectAll().where('id', '=', group.draft_id).executeTakeFirst()
      : undefined;

    if (!current) {
      if (!anyFiring) return { kind: 'ignored' as const };
      return { kind: 'created' as const, draft: await createDraft(tx, request, Boolean(group)) };
    }
    const openIncident = current.state === 'published' ? await incidentOpen(tx, current.id) : false;
    const closedAt = current.dismissed_at ?? current.resolved_at;
    const withinWindow = closedAt !== null && Date.parse(request.now) - Date.parse(closedAt) <= request.flapWindowMs;
    const stale = (current.state === 'dismissed' && !withinWindow) || (current.state === 'published' && !openIncident);
    if (stale) {
      if (!anyFiring) return { kind: 'unchanged' as const, draft: toDraft(current) };
      return { kind: 'created' as const, draft: await createDraft(tx, request, true) };
    }

    const stored = JSON.parse(current.alerts_json) as Record<string, AlertState>;
    const merged = { ...stored };
    let changed = false;
    for (const [key, alert] of Object.entries(request.alerts)) {
      const before = stored[key];
      if (before && (before.status === alert.status || Date.parse(alert.at) < Date.parse(before.at))) continue;
      merged[key] = alert;
      changed = true;
    }
    if (!changed) return { kind: 'unchanged' as const, draft: toDraft(current) };

    const wasResolved = Object.values(stored).every((a) => a.status === 'resolved');
    const allResolved = Object.values(merged).every((a) => a.status === 'resolved');
    const set: Partial<IncidentDraftsTable> = {
      alerts_json: JSON.stringify(merged),
      updated_at: request.now,
      resolved_at: allResolved ? (wasResolved ? current.resolved_at : request.now) : null,
    };
    let revived = false;
    if (current.state === 'draft' && allResolved) {
      Object.assign(set, { state: 'dismissed', closed_by: 'alerts', dismissed_at: request.now });
    } else if (current.state === 'dismissed' && current.closed_by === 'alerts' && !allResolved) {
      revived = true;
      const autopublish =
        current.autopublish_at && current.autopublish_at < request.now ? request.now : current.autopublish_at;
      Object.assign(set, { state: 'draft', closed_by: null, dismissed_at: null, autopublish_at: autopublish });
    }
    await tx.updateTable('incident_drafts').set(set).where('id', '=', current.id).execute();
    const after = await tx
      .selectFrom('incident_drafts')
      .selectAll()
      .where('id', '=', current.id)
      .executeTakeFirstOrThrow();
    return { kind: 'changed' as const, draft: toDraft(after), allResolved: allResolved && !wasResolved, revived };
  });
}

async function lockGroup(tx: Transaction<Database>, dialect: Dialect, source: string, groupKey: string) {
  let query = tx.selectFrom('alert_groups').selectAll().where('source', '=', source).where('group_key', '=', groupKey);
  if (dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

async function incidentOpen(tx: Transaction<Database>, id: string): Promise<boolean> {
  const row = await tx.selectFrom('incidents').select('status').where('id', '=', id).executeTakeFirst();
  return row !== undefined && ['investigating', 'identified', 'monitoring'].includes(row.status);
}

async function createDraft(tx: Transaction<Database>, request: AttachRequest, groupExists: boolean): Promise<Draft> {
  const p = request.proposal();
  const { now } = request;
  const row: Row = {
    id: p.id,
    source: request.source,
    group_key: request.groupKey,
    rule: p.rule,
    state: 'draft',
    title: p.title,
    message: p.message,
    status: p.status,
    impact: p.impact,
    components_json: JSON.stringify(p.components),
    channels_json: p.channels ? JSON.stringify(p.channels) : null,
    alerts_json: JSON.stringify(request.alerts),
    auto_resolve: p.autoResolve ? 1 : 0,
    autopublish_at: p.autoPublishAt,
    resolved_at: null,
    closed_by: null,
    paged_at: null,
    reminded_due_at: null,
    created_at: now,
    updated_at: now,
    published_at: null,
    dismissed_at: null,
  };
  await tx.insertInto('incident_drafts').values(row).execute();
  if (groupExists) {
    await tx
      .updateTable('alert_groups')
      .set({ draft_id: p.id, updated_at: now })
      .where('source', '=', request.source)
      .where('group_key', '=', request.groupKey)
      .execute();
  } else {
    // On PostgreSQL a concurrent first delivery of the same group waits on this key and then fails the
    // transaction; the route retries it once, and the retry finds the group.
    await tx
      .insertInto('alert_groups')
      .values({ source: request.source, group_key: request.groupKey, draft_id: p.id, updated_at: now })
      .execute();
  }
  return toDraft(row);
}

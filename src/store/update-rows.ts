import { sql } from 'kysely';
import type { IncidentImpact, IncidentStatus } from '../domain/enums.js';
import { newId } from '../domain/ids.js';
import type { Delivery, Incident, IncidentUpdate } from '../domain/types.js';
import type { Dialect } from './db.js';
import { toDelivery } from './deliveries-repo.js';
import type { Executor } from './executor.js';
import { listParam, listParams, listShape, prepared } from './prepared.js';

// The rows a published update adds: the update's own, one delivery row per channel (the outbox) and the
// incident's new state. On PostgreSQL they are one statement (data-modifying CTEs), a template per shape.

export type IncidentState = {
  id: string;
  status: IncidentStatus;
  impact: IncidentImpact;
  resolvedAt: string | null;
  now: string;
};

/**
 * The update's row, one delivery row per channel and, when given, the incident's new state. On PostgreSQL that
 * is one statement (data-modifying CTEs): one round trip instead of three while the incident's row is locked.
 * On SQLite, where a statement costs no round trip, they stay three plain statements.
 */
export async function storeUpdate(
  tx: Executor,
  dialect: Dialect,
  incident: Incident,
  status: IncidentStatus,
  text: { message: string; socialText?: string },
  channels: string[],
  now: string,
  incidentState: IncidentState | null,
): Promise<{ update: IncidentUpdate; deliveries: Delivery[] }> {
  const { message, socialText } = text;
  const update: IncidentUpdate = {
    id: newId(),
    incidentId: incident.id,
    status,
    message,
    components: incident.components,
    channels,
    ...(socialText ? { socialText } : {}),
    createdAt: now,
  };
  const row = {
    id: update.id,
    incidentId: incident.id,
    status,
    message,
    socialText: socialText ?? null,
    componentsJson: JSON.stringify(incident.components),
    channelsJson: JSON.stringify(channels),
    now,
  };
  const deliveryIds = channels.map(() => newId());
  let number: number;
  if (dialect === 'postgres') {
    const state: Record<string, string | null> = incidentState
      ? {
          stateStatus: incidentState.status,
          stateImpact: incidentState.impact,
          stateResolvedAt: incidentState.resolvedAt,
        }
      : {};
    const { rows } = await storeUpdateStatement<{ number: number }>(tx, {
      ...row,
      ...state,
      ...listParams('delivery', deliveryIds),
      ...listParams('channel', channels),
    });
    number = Number(rows[0]!.number);
  } else {
    if (incidentState) await updateIncidentState(tx, incidentState);
    number = Number((await insertUpdateRow<{ number: number }>(tx, row)).rows[0]!.number);
    if (channels.length > 0) {
      await insertDeliveryRows(tx, {
        updateId: update.id,
        incidentId: incident.id,
        updateNumber: number,
        now,
        ...listParams('id', deliveryIds),
        ...listParams('channel', channels),
      });
    }
  }
  const deliveries = channels.map((channel, i) =>
    toDelivery({
      ...NEW_DELIVERY_ROW,
      id: deliveryIds[i]!,
      update_id: update.id,
      incident_id: incident.id,
      channel,
      created_at: now,
      updated_at: now,
    }),
  );
  return { update, deliveries };
}

const incidentStateUpdate = (tx: Executor, p: IncidentState) =>
  tx
    .updateTable('incidents')
    .set({ status: p.status, impact: p.impact, resolved_at: p.resolvedAt, updated_at: p.now })
    .where('id', '=', p.id);

export const updateIncidentState = prepared(incidentStateUpdate);

type UpdateRowParams = {
  id: string;
  incidentId: string;
  status: IncidentStatus;
  message: string;
  socialText: string | null;
  componentsJson: string;
  channelsJson: string;
  now: string;
};

const updateRowInsert = (tx: Executor, p: UpdateRowParams) =>
  tx
    .insertInto('incident_updates')
    .values({
      id: p.id,
      incident_id: p.incidentId,
      number: sql<number>`(select coalesce(max(number), 0) + 1 from incident_updates where incident_id = ${p.incidentId})`,
      status: p.status,
      message: p.message,
      social_text: p.socialText,
      components_json: p.componentsJson,
      channels_json: p.channelsJson,
      created_at: p.now,
    })
    .returning('number');

const insertUpdateRow = prepared(updateRowInsert);

/**
 * PostgreSQL: the update's row, its delivery rows (numbered from the update's RETURNING) and, when `stateStatus`
 * is given, the incident's new state, in one statement. A template per number of channels and with or without
 * the incident's state.
 */
const storeUpdateStatement = prepared(
  (tx, p: Record<string, string | null>) => {
    const ids = listParam(p, 'delivery');
    const channels = listParam(p, 'channel');
    const update = updateRowInsert(tx, p as unknown as UpdateRowParams);
    let query = tx.with('upd', () => update);
    if ('stateStatus' in p) {
      const state = {
        id: p.incidentId!,
        status: p.stateStatus as IncidentStatus,
        impact: p.stateImpact as IncidentImpact,
        resolvedAt: p.stateResolvedAt!,
        now: p.now!,
      };
      const stateUpdate = incidentStateUpdate(tx, state);
      query = query.with('state', () => stateUpdate) as unknown as typeof query;
    }
    if (ids.length > 0) {
      const rows = sql.join(ids.map((id, i) => sql`(${id}, ${channels[i]})`));
      query = query.with('dels', (db) =>
        db
          .insertInto('deliveries')
          .columns([
            'id',
            'channel',
            'update_id',
            'incident_id',
            'update_number',
            'created_at',
            'updated_at',
            ...NEW_DELIVERY_COLUMNS,
          ])
          .expression((eb) =>
            eb
              .selectFrom(['upd', sql<{ id: string; channel: string }>`(values ${rows})`.as<'v'>(sql`v(id, channel)`)])
              .select((eb) => [
                'v.id',
                'v.channel',
                eb.val(p.id!).as('update_id'),
                eb.val(p.incidentId!).as('incident_id'),
                'upd.number',
                eb.val(p.now!).as('created_at'),
                eb.val(p.now!).as('updated_at'),
                ...NEW_DELIVERY_COLUMNS.map((column) => eb.val(NEW_DELIVERY[column]).as(column)),
              ]),
          ),
      ) as unknown as typeof query;
    }
    return query.selectFrom('upd').select('number');
  },
  (p) => `${listParam(p, 'delivery').length}${'stateStatus' in p ? '+state' : ''}`,
);

/** A delivery row's starting state, the same in the insert and in the rows publish returns. */
const NEW_DELIVERY = { state: 'pending', generation: 0, attempts: 0, total: 1, delivered: 0, failed: 0 } as const;
const NEW_DELIVERY_COLUMNS = Object.keys(NEW_DELIVERY) as Array<keyof typeof NEW_DELIVERY>;
const NEW_DELIVERY_ROW = {
  ...NEW_DELIVERY,
  external_id: null,
  external_url: null,
  external_meta_json: null,
  error: null,
  rate_limited_until: null,
  delivered_at: null,
};

/** One multi-row insert (one round trip on PostgreSQL); a template per number of channels. */
const insertDeliveryRows = prepared((tx, p: Record<string, string | number>) => {
  const channels = listParam(p, 'channel');
  return tx.insertInto('deliveries').values(
    listParam(p, 'id').map((id, i) => ({
      ...NEW_DELIVERY,
      id,
      update_id: p.updateId as string,
      incident_id: p.incidentId as string,
      update_number: p.updateNumber as number,
      channel: channels[i]!,
      created_at: p.now as string,
      updated_at: p.now as string,
    })),
  );
}, listShape('id'));

import type { Executor } from './executor.js';

/** Where one off-site copy of the status page stands (see migration 009). */
export interface TargetState {
  channel: string;
  target: string;
  /** The data stamp of the build the target holds, as last published or seen there. */
  publishedStamp: string | null;
  publishedAt: string | null;
  /** When it first missed a build; null while it is current. */
  behindSince: string | null;
  /** Failed attempts in a row. */
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Not before this time is it tried again (capped backoff); null: at once. */
  nextAttemptAt: string | null;
}

export async function listTargetStates(db: Executor, channel?: string): Promise<TargetState[]> {
  let query = db.selectFrom('statuspage_targets').selectAll();
  if (channel) query = query.where('channel', '=', channel);
  const rows = await query.orderBy('channel').orderBy('target').execute();
  return rows.map((r) => ({
    channel: r.channel,
    target: r.target,
    publishedStamp: r.published_stamp,
    publishedAt: r.published_at,
    behindSince: r.behind_since,
    failures: Number(r.failures),
    lastError: r.last_error,
    lastErrorAt: r.last_error_at,
    nextAttemptAt: r.next_attempt_at,
  }));
}

/** The target holds the build of `stamp` (published now, or found there): current, its failures forgotten. */
export async function recordTargetCurrent(
  db: Executor,
  key: { channel: string; target: string },
  stamp: string,
  at: string,
): Promise<void> {
  await db
    .insertInto('statuspage_targets')
    .values({
      ...key,
      published_stamp: stamp,
      published_at: at,
      behind_since: null,
      failures: 0,
      last_error: null,
      last_error_at: null,
      next_attempt_at: null,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.columns(['channel', 'target']).doUpdateSet({
        published_stamp: stamp,
        published_at: at,
        behind_since: null,
        failures: 0,
        next_attempt_at: null,
        updated_at: at,
      }),
    )
    .execute();
}

/**
 * A publish to the target failed: it is behind since its first failure, tried again at `nextAttemptAt`. Returns
 * the failures in a row, this one included.
 */
export async function recordTargetFailed(
  db: Executor,
  key: { channel: string; target: string },
  error: string,
  at: string,
  nextAttemptAt: (failures: number) => string,
): Promise<number> {
  const before = await db
    .selectFrom('statuspage_targets')
    .select(['failures', 'behind_since'])
    .where('channel', '=', key.channel)
    .where('target', '=', key.target)
    .executeTakeFirst();
  const failures = Number(before?.failures ?? 0) + 1;
  const values = {
    behind_since: before?.behind_since ?? at,
    failures,
    last_error: error.slice(0, 2000),
    last_error_at: at,
    next_attempt_at: nextAttemptAt(failures),
    updated_at: at,
  };
  await db
    .insertInto('statuspage_targets')
    .values({ ...key, published_stamp: null, published_at: null, ...values })
    .onConflict((oc) => oc.columns(['channel', 'target']).doUpdateSet(values))
    .execute();
  return failures;
}

/** The latest change to anything the status page shows: what a current build's stamp equals (see dataStamp). */
export async function latestDataChange(db: Executor): Promise<string> {
  const [incidents, components, maintenances] = await Promise.all(
    (['incidents', 'components', 'maintenances'] as const).map((table) =>
      db
        .selectFrom(table)
        .select((eb) => eb.fn.max('updated_at').as('latest'))
        .executeTakeFirst(),
    ),
  );
  let latest = '';
  for (const row of [incidents, components, maintenances]) {
    const value = (row?.latest as string | null | undefined) ?? '';
    if (value > latest) latest = value;
  }
  return latest;
}

import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponent, patchComponent } from '../../src/store/components-repo.js';
import { migrateToLatest, openDatabase } from '../../src/store/db.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { storePublishedUpdate } from '../../src/store/publish-repo.js';
import { statusChangesSince } from '../../src/store/status-page-reads.js';
import { freshDatabase } from '../helpers/env.js';

describe.each(['sqlite', 'postgres'] as const)('component status history on %s', (kind) => {
  let opened: ReturnType<typeof openDatabase>;
  let drop: () => Promise<void>;
  const store = () => ({ db: opened.db, dialect: opened.dialect });
  const history = async (id: string) =>
    (
      await opened.db
        .selectFrom('component_status_changes')
        .select(['status', 'at'])
        .where('component_id', '=', id)
        .orderBy('at')
        .execute()
    ).map((r) => `${r.at} ${r.status}`);

  beforeAll(async () => {
    const database = await freshDatabase(kind);
    drop = database.drop;
    opened = openDatabase(database.url);
    await migrateToLatest(opened.db);
  });
  afterAll(async () => {
    await opened?.db.destroy();
    await drop?.();
  });

  it('a publish records each status change in its transaction, and nothing when the transaction fails', async () => {
    const api = await createComponent(opened.db, { name: 'API' }, '2026-05-01T00:00:00.000Z');
    const update = (at: string, status: string, incidentId?: string) =>
      storePublishedUpdate(
        store(),
        {
          incidentId,
          newIncidentId: `inc-${at}`,
          title: 'Errors',
          message: 'm',
          status: status === 'operational' ? 'resolved' : 'investigating',
          components: { [api.id]: status as 'major_outage' },
          channels: [],
          now: at,
        },
        async () => undefined,
      );
    const { incident } = await update('2026-05-10T10:00:00.000Z', 'major_outage');
    // The same status again: no change to record.
    await update('2026-05-10T10:01:00.000Z', 'major_outage', incident.id);
    await expect(
      storePublishedUpdate(
        store(),
        {
          incidentId: incident.id,
          newIncidentId: 'x',
          message: 'never stored',
          components: { [api.id]: 'partial_outage' },
          channels: [],
          now: '2026-05-10T10:01:30.000Z',
        },
        async () => {
          throw new Error('queue away');
        },
      ),
    ).rejects.toThrow('queue away');
    await update('2026-05-10T10:02:00.000Z', 'operational', incident.id);
    expect(await history(api.id)).toEqual([
      '2026-05-01T00:00:00.000Z operational',
      '2026-05-10T10:00:00.000Z major_outage',
      '2026-05-10T10:02:00.000Z operational',
    ]);
    await patchComponent(opened.db, api.id, { status: 'degraded_performance' }, '2026-05-11T00:00:00.000Z');
    await patchComponent(opened.db, api.id, { name: 'API v2' }, '2026-05-11T01:00:00.000Z');
    expect((await history(api.id)).at(-1)).toBe('2026-05-11T00:00:00.000Z degraded_performance');
    expect(await history(api.id)).toHaveLength(4);

    // Since a moment in the outage: led by the change in force then.
    const since = await statusChangesSince(opened.db, '2026-05-10T10:01:00.000Z');
    expect(since.get(api.id)).toEqual([
      { status: 'major_outage', at: '2026-05-10T10:00:00.000Z' },
      { status: 'operational', at: '2026-05-10T10:02:00.000Z' },
      { status: 'degraded_performance', at: '2026-05-11T00:00:00.000Z' },
    ]);
  });

  it('the migration rebuilds the history of an existing database from its incident updates', async () => {
    const migrator = new Migrator({ db: opened.db, provider: migrationProvider });
    expect((await migrator.migrateTo('009_statuspage_targets')).error).toBeUndefined();
    const db = opened.db as any;
    await db.deleteFrom('incident_updates').execute();
    await db.deleteFrom('incident_components').execute();
    await db.deleteFrom('incidents').execute();
    await db.deleteFrom('components').execute();
    const component = (id: string, status: string) => ({
      id,
      name: id,
      group_name: null,
      description: null,
      position: 0,
      status,
      created_at: '2026-04-01T00:00:00.000Z',
      updated_at: '2026-05-03T00:00:00.000Z',
    });
    await db
      .insertInto('components')
      .values([component('db', 'operational'), component('web', 'degraded_performance')])
      .execute();
    const incident = (id: string, started: string) => ({
      id,
      title: id,
      status: 'resolved',
      impact: 'major',
      started_at: started,
      resolved_at: null,
      postmortem_body: null,
      postmortem_published_at: null,
      created_at: started,
      updated_at: started,
    });
    await db
      .insertInto('incidents')
      .values([incident('one', '2026-05-01T10:00:00.000Z'), incident('two', '2026-05-01T10:30:00.000Z')])
      .execute();
    const update = (incidentId: string, n: number, status: string, at: string, components: object[]) => ({
      id: `${incidentId}-${n}`,
      incident_id: incidentId,
      number: n,
      status,
      message: 'm',
      components_json: JSON.stringify(components),
      channels_json: '[]',
      created_at: at,
    });
    await db
      .insertInto('incident_updates')
      .values([
        update('one', 1, 'investigating', '2026-05-01T10:00:00.000Z', [
          { id: 'db', name: 'db', status: 'partial_outage' },
        ]),
        update('two', 1, 'investigating', '2026-05-01T10:30:00.000Z', [
          { id: 'db', name: 'db', status: 'major_outage' },
        ]),
        // Incident two ends: db falls back to what incident one still says.
        update('two', 2, 'resolved', '2026-05-01T11:00:00.000Z', [{ id: 'db', name: 'db', status: 'operational' }]),
        update('one', 2, 'resolved', '2026-05-01T12:00:00.000Z', [{ id: 'db', name: 'db', status: 'operational' }]),
      ])
      .execute();
    expect(await migrateToLatest(opened.db)).toEqual([
      '010_component_status_changes',
      '011_lifecycle',
      '012_incident_templates',
      '013_maintenance_revision',
      '014_component_events',
      '015_component_event_snapshot',
    ]);
    expect(await history('db')).toEqual([
      '2026-04-01T00:00:00.000Z operational',
      '2026-05-01T10:00:00.000Z partial_outage',
      '2026-05-01T10:30:00.000Z major_outage',
      '2026-05-01T11:00:00.000Z partial_outage',
      '2026-05-01T12:00:00.000Z operational',
    ]);
    // What the component shows now (set by something the updates do not tell) is the last word.
    expect(await history('web')).toEqual([
      '2026-04-01T00:00:00.000Z operational',
      '2026-05-03T00:00:00.000Z degraded_performance',
    ]);
  });
});

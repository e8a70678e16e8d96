import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PublishDeps, openIncident, postUpdate } from '../../src/pipeline/publish.js';
import type { DeliveryQueues } from '../../src/pipeline/queues.js';
import { createLogger } from '../../src/runtime/logger.js';
import { Migrator } from 'kysely';
import { migrateToLatest, openDatabase } from '../../src/store/db.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { recordOutcome, threadSoFar } from '../../src/store/deliveries-repo.js';
import { freshDatabase } from '../helpers/env.js';

describe.each(['sqlite', 'postgres'] as const)('threadSoFar on %s', (kind) => {
  let opened: ReturnType<typeof openDatabase>;
  let drop: () => Promise<void>;
  let deps: PublishDeps;

  beforeAll(async () => {
    const database = await freshDatabase(kind);
    drop = database.drop;
    opened = openDatabase(database.url);
    await migrateToLatest(opened.db);
    // Only the database matters here: a queue that is always up and enqueues nothing.
    const queues = { assertAvailable: async () => undefined, enqueueAll: async () => [] } as unknown as DeliveryQueues;
    deps = {
      store: { db: opened.db, dialect: opened.dialect } as PublishDeps['store'],
      queues,
      channels: [
        { name: 'x', kind: 'twitter' },
        { name: 'slack', kind: 'slack' },
      ],
      publicUrl: 'https://status.example.test',
      logger: createLogger({ level: 'silent' }),
    };
  });
  afterAll(async () => {
    await opened.db.destroy();
    await drop();
  });

  /** An incident with `n` updates; returns each update's delivery on channel `x`, in order. */
  async function thread(n: number) {
    const opened = await openIncident(deps, { title: 'T', message: 'first' });
    const deliveries = [opened.deliveries.find((d) => d.channel === 'x')!];
    for (let i = 1; i < n; i++)
      deliveries.push(
        (await postUpdate(deps, opened.incident.id, { message: `update ${i}` })).deliveries.find(
          (d) => d.channel === 'x',
        )!,
      );
    return deliveries;
  }
  const posted = (id: string, externalId: string) =>
    recordOutcome(
      opened.db,
      id,
      0,
      { state: 'delivered', externalId, externalUrl: `https://x.test/${externalId}` },
      new Date().toISOString(),
    );

  it('the first update of an incident has nothing before it', async () => {
    const [first] = await thread(1);
    expect(await threadSoFar(opened.db, first!.id)).toEqual({ waiting: false });
  });

  it('waits while an earlier update on the same channel is pending or being sent', async () => {
    const [a, b, c] = await thread(3);
    await posted(a!.id, 'p1');
    expect((await threadSoFar(opened.db, c!.id)).waiting).toBe(true); // b is pending
    await recordOutcome(opened.db, b!.id, 0, { state: 'delivering' }, new Date().toISOString());
    expect((await threadSoFar(opened.db, c!.id)).waiting).toBe(true);
    await recordOutcome(opened.db, b!.id, 0, { state: 'failed', error: 'refused' }, new Date().toISOString());
    // Settled, but failed: the reply goes under the first post and the latest that went out.
    expect(await threadSoFar(opened.db, c!.id)).toMatchObject({
      waiting: false,
      first: { externalId: 'p1' },
      latest: { externalId: 'p1' },
    });
  });

  it('replies under the first post and the latest earlier one, whatever the thread length and the other channels', async () => {
    const deliveries = await thread(6);
    for (const [i, d] of deliveries.slice(0, 5).entries()) {
      if (i === 3)
        await recordOutcome(
          opened.db,
          d.id,
          0,
          { state: 'skipped', error: 'not for this channel' },
          new Date().toISOString(),
        );
      else await posted(d.id, `post-${i}`);
    }
    // Slack's deliveries of the same updates stay pending: another channel's thread does not hold this one.
    expect(await threadSoFar(opened.db, deliveries[5]!.id)).toMatchObject({
      waiting: false,
      first: { externalId: 'post-0' },
      latest: { externalId: 'post-4' },
    });
    // Asked for an earlier update, only what came before it counts.
    expect(await threadSoFar(opened.db, deliveries[2]!.id)).toMatchObject({
      waiting: false,
      first: { externalId: 'post-0' },
      latest: { externalId: 'post-1' },
    });
  });

  it('a database from before the update number was on the delivery row: the migration fills it in', async () => {
    const deliveries = await thread(3);
    await posted(deliveries[0]!.id, 'old-1');
    await posted(deliveries[1]!.id, 'old-2');
    const migrator = new Migrator({ db: opened.db, provider: migrationProvider });
    const down = await migrator.migrateTo('004_console_reminders');
    expect(down.error).toBeUndefined();
    expect(await migrateToLatest(opened.db)).toEqual([
      '005_delivery_update_number',
      '006_update_social_text',
      '007_alert_drafts',
      '008_webhook_format',
      '009_statuspage_targets',
      '010_component_status_changes',
      '011_lifecycle',
      '012_incident_templates',
      '013_maintenance_revision',
      '014_component_events',
      '015_component_event_snapshot',
    ]);
    const rows = await opened.db
      .selectFrom('deliveries as d')
      .innerJoin('incident_updates as u', 'u.id', 'd.update_id')
      .select(['d.update_number', 'u.number'])
      .where(
        'd.id',
        'in',
        deliveries.map((d) => d.id),
      )
      .execute();
    expect(rows.map((r) => Number(r.update_number)).sort()).toEqual([1, 2, 3]);
    for (const r of rows) expect(Number(r.update_number)).toBe(Number(r.number));
    expect(await threadSoFar(opened.db, deliveries[2]!.id)).toMatchObject({
      waiting: false,
      first: { externalId: 'old-1' },
      latest: { externalId: 'old-2' },
    });
  });
});

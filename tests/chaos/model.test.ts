// Model-based test (fast-check commands) over the real pipeline: an API-side Herald on PostgreSQL, `herald worker`
// child processes, a real SMTP server and the Mastodon fake. Commands: subscribe, unsubscribe, publish (open an
// incident), update, resolve, kill a worker (SIGKILL, then start another), a 429/421 burst at the providers.
// The model tracks, for every update, which subscribers it owes an email (subscribed before the publish and never
// unsubscribed), which it may reach (subscription changed while it was in flight) and which it must not reach
// (unsubscribed before the publish); and that Mastodon owes every update one post.
// After each run: wait until every delivery row settles, then check every sink against the model:
//   - owed: received exactly once (a repeat only within the in-flight bound of the kills), or a recorded reason;
//   - may reach: at most once (same bound);  - must not reach: never;  - Mastodon: exactly once each.
// CI: 4 runs of up to 10 commands (after a fixed start: 3 subscribers, 1 open incident); HERALD_CHAOS_FULL=1: 15 runs of up to 20.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChaosRig, FULL, PUBLIC_URL } from '../helpers/chaos-rig.js';

const HOST = new URL(PUBLIC_URL).hostname;
const RUNS = FULL ? 15 : 4;
const MAX_COMMANDS = FULL ? 20 : 10;

interface Sub {
  id: string;
  /** Number of updates published before it subscribed. */
  since: number;
  /** Number of updates published before it unsubscribed. */
  until?: number;
}
interface Model {
  subs: Sub[];
  incidents: Array<{ id: string; resolved: boolean }>;
  updates: number;
  kills: number;
}
interface Real {
  rig: ChaosRig;
  /** Sum of the claimed-not-recorded recipient rows at each kill: the email repeat bound. */
  bound: number;
}

type Cmd = fc.AsyncCommand<Model, Real>;

let addressSeq = 0;

class Subscribe implements Cmd {
  check = (m: Readonly<Model>) => m.subs.length < 40;
  async run(m: Model, r: Real) {
    const res = await r.rig.h.api('POST', '/api/v1/subscribers', {
      email: `m${++addressSeq}@example.test`,
      confirmed: true,
    });
    expect(res.status).toBe(201);
    m.subs.push({ id: res.body.id, since: m.updates });
  }
  toString = () => 'subscribe';
}

class Unsubscribe implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.subs.some((s) => s.until === undefined);
  async run(m: Model, r: Real) {
    const live = m.subs.filter((s) => s.until === undefined);
    const sub = live[this.pick % live.length]!;
    const res = await r.rig.h.api('DELETE', `/api/v1/subscribers/${sub.id}`);
    expect(res.status).toBe(204);
    sub.until = m.updates;
  }
  toString = () => `unsubscribe(${this.pick})`;
}

class Publish implements Cmd {
  check = (m: Readonly<Model>) => m.updates < 12;
  async run(m: Model, r: Real) {
    const ref = await r.rig.open(`Incident ${m.incidents.length + 1}`);
    m.incidents.push({ id: ref.incidentId, resolved: false });
    m.updates++;
  }
  toString = () => 'publish';
}

class Update implements Cmd {
  constructor(
    readonly pick: number,
    readonly resolve: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.updates < 12 && m.incidents.some((i) => !i.resolved);
  async run(m: Model, r: Real) {
    const open = m.incidents.filter((i) => !i.resolved);
    const incident = open[this.pick % open.length]!;
    await r.rig.post(incident.id, this.resolve ? 'resolved' : 'identified', this.resolve ? 'Fixed.' : 'Cause found.');
    if (this.resolve) incident.resolved = true;
    m.updates++;
  }
  toString = () => `${this.resolve ? 'resolve' : 'update'}(${this.pick})`;
}

class KillWorker implements Cmd {
  check = (m: Readonly<Model>) => m.kills < 2;
  async run(m: Model, r: Real) {
    const victim = r.rig.workers[0]!;
    await r.rig.kill(victim);
    r.bound += await r.rig.inFlight();
    await r.rig.startWorker();
    m.kills++;
  }
  toString = () => 'kill-worker';
}

class Burst429 implements Cmd {
  check = () => true;
  async run(_m: Model, r: Real) {
    const until = Date.now() + 1_500;
    r.rig.mastodon!.failNext({ kind: '429', resetAtMs: until });
    r.rig.smtp!.refuseAllUntil({ code: 421, message: '4.7.0 Too many messages, slow down' }, until);
  }
  toString = () => 'burst-429';
}

const commands = [
  fc.constant(new Subscribe()),
  fc.constant(new Subscribe()),
  fc.constant(new Publish()),
  fc.tuple(fc.nat(), fc.boolean()).map(([n, resolve]) => new Update(n, resolve)),
  fc.nat().map((n) => new Unsubscribe(n)),
  fc.constant(new Publish()),
  fc.tuple(fc.nat(), fc.boolean()).map(([n, resolve]) => new Update(n, resolve)),
  fc.constant(new KillWorker()),
  fc.constant(new Burst429()),
];

async function checkSinks(model: Model, real: Real): Promise<string> {
  const { rig } = real;
  await rig.waitSettled(90_000);
  const db = rig.h.herald.store.db;
  const deliveries = await db
    .selectFrom('deliveries')
    .select(['id', 'update_id', 'channel', 'state', 'error'])
    .execute();
  const reasons = new Set(
    (
      await db
        .selectFrom('recipient_deliveries')
        .select(['delivery_id', 'subscriber_id', 'error'])
        .where('state', 'in', ['failed', 'skipped'])
        .execute()
    )
      .filter((x) => x.error)
      .map((x) => `${x.delivery_id}/${x.subscriber_id}`),
  );
  let repeats = 0;
  let owed = 0;
  for (const [k, u] of rig.updates.entries()) {
    const emailRow = deliveries.find((d) => d.update_id === u.updateId && d.channel === 'email')!;
    for (const s of model.subs) {
      const messageId = u.first
        ? `<incident-${u.incidentId}.${s.id}@${HOST}>`
        : `<update-${u.updateId}.${s.id}@${HOST}>`;
      const n = rig.smtp!.byMessageId.get(messageId) ?? 0;
      repeats += Math.max(0, n - 1);
      const what = `update ${k + 1} (${u.first ? 'open' : 'follow-up'}) to ${s.id} (since ${s.since}, until ${s.until ?? '-'})`;
      if (s.until !== undefined && s.until <= k) {
        expect(n, `must not reach: ${what}`).toBe(0);
      } else if (s.since <= k && s.until === undefined) {
        owed++;
        if (n === 0)
          expect(reasons.has(`${emailRow.id}/${s.id}`), `owed but neither received nor recorded: ${what}`).toBe(true);
      }
    }
    const posts = rig.mastodon!.posts.filter((p) => p.text.includes(u.token)).length;
    expect(posts, `mastodon posts of update ${k + 1}`).toBe(1);
  }
  expect(repeats, 'email repeats beyond the in-flight bound of the kills').toBeLessThanOrEqual(real.bound);
  return `${rig.updates.length} updates, ${model.subs.length} subscribers, ${owed} owed emails, ${repeats} repeats (bound ${real.bound}), ${model.kills} kills`;
}

describe('model-based: the pipeline against a model of who is owed what', () => {
  it(`${RUNS} runs of up to ${MAX_COMMANDS} commands`, { timeout: FULL ? 1_800_000 : 300_000 }, async () => {
    const summaries: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max' }), async (cmds) => {
        const rig = await ChaosRig.start({ channels: ['email', 'mastodon'], recipients: 0, lockMs: 2_000 });
        try {
          await rig.startWorker();
          const model: Model = { subs: [], incidents: [], updates: 0, kills: 0 };
          const real: Real = { rig, bound: 0 };
          // Every run starts from a few subscribers and one open incident, so short runs still test delivery.
          for (const cmd of [new Subscribe(), new Subscribe(), new Subscribe(), new Publish()])
            await cmd.run(model, real);
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          summaries.push(`${cmds.toString()} → ${await checkSinks(model, real)}`);
        } finally {
          await rig.close();
        }
      }),
      { numRuns: RUNS, endOnFailure: true, interruptAfterTimeLimit: FULL ? 1_700_000 : 270_000 },
    );
    console.log(`\n[model] ${summaries.join('\n[model] ')}`);
  });
});

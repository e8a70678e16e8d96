import { type ChildProcess, spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChannelDefinition, HeraldConfig } from '../../src/config/define.js';
import { SETTLED_DELIVERY_STATES } from '../../src/domain/enums.js';
import config from './chaos-channels.config.js';
import { type ChaosSmtp, type ChaosSmtpOptions, startChaosSmtp } from './chaos-smtp.js';
import { REDIS_URL, eventually } from './env.js';
import { type TestHerald, startTestHerald } from './herald.js';
import { randomSecret, seedSubscribers } from './subscribers.js';
import { SLACK_FAKE_CHANNEL, type SlackFake, startSlackFake } from '../fakes/slack-fake.js';
import { MastodonFake } from '../fakes/mastodon-fake.js';
import { TwitterFake } from '../fakes/twitter-fake.js';
import { TWITTER_SECRETS } from './social-channels.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHAOS_CONFIG = resolve(import.meta.dirname, 'chaos-channels.config.ts');
export const FULL = process.env.HERALD_CHAOS_FULL === '1';
export const PUBLIC_URL = 'https://status.example.test';
const HOST = new URL(PUBLIC_URL).hostname;

export type ChaosChannel = 'email' | 'mastodon' | 'slack' | 'twitter' | 'statuspage';

export interface RigOptions {
  channels: ChaosChannel[];
  recipients: number;
  /** Defaults to the shared Redis. */
  redisUrl?: string;
  /** Defaults to a fresh database on the shared PostgreSQL. */
  databaseUrl?: string;
  smtp?: ChaosSmtpOptions;
  /** Request timeout of the social/chat clients (to provoke "timed out after the provider accepted"). */
  socialTimeoutMs?: number;
  /** The API side's outbox sweeper (the workers run their own too, with the defaults). */
  sweeper?: { intervalMs: number; staleAfterMs: number } | false;
  lockMs?: number;
}

export interface WorkerChild {
  child: ChildProcess;
  /** Envelope sender this process uses: the marker of its work at the SMTP sink. */
  marker: string;
  /** The last few KB of its output, for failure messages. */
  tail(): string;
}

export interface UpdateRef {
  incidentId: string;
  updateId: string;
  first: boolean;
  token: string;
}

export interface ChannelReport {
  channel: string;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  /** Not received, but the database records why (failed/skipped with a reason). */
  recorded: number;
}

/**
 * One Herald under test: an API-side Herald in this process (publishes, sweeper, no workers) on PostgreSQL,
 * the fakes in this process, and `herald worker` child processes (the real CLI, HERALD_CONFIG = the chaos
 * config) that the tests SIGKILL. Every child is killed by close(), whatever happened.
 */
export class ChaosRig {
  readonly workers: WorkerChild[] = [];
  readonly children: ChildProcess[] = [];
  readonly updates: UpdateRef[] = [];
  /** How often each log message ("msg") appeared in the workers' output, over all workers. */
  readonly logged = new Map<string, number>();
  private workerSeq = 0;

  private constructor(
    readonly h: TestHerald,
    readonly databaseUrl: string,
    readonly redisUrl: string,
    readonly vars: Record<string, string>,
    readonly smtp: ChaosSmtp | undefined,
    readonly mastodon: MastodonFake | undefined,
    readonly slack: SlackFake | undefined,
    readonly twitter: TwitterFake | undefined,
    readonly subscriberIds: string[],
    readonly lockMs: number,
  ) {}

  static async start(options: RigOptions): Promise<ChaosRig> {
    const want = new Set(options.channels);
    const smtp = want.has('email') ? await startChaosSmtp(options.smtp) : undefined;
    const mastodon = want.has('mastodon')
      ? await new MastodonFake({ token: 'chaos-mastodon-token' }).start()
      : undefined;
    const slack = want.has('slack') ? await startSlackFake() : undefined;
    const twitter = want.has('twitter') ? await new TwitterFake().start() : undefined;
    const lockMs = options.lockMs ?? 3_000;
    const vars: Record<string, string> = {
      HERALD_SECRET: randomSecret(),
      HERALD_PUBLIC_URL: PUBLIC_URL,
      HERALD_LOCK_DURATION_MS: String(lockMs),
      HERALD_CONFIG: CHAOS_CONFIG,
      ...(options.socialTimeoutMs ? { CHAOS_SOCIAL_TIMEOUT_MS: String(options.socialTimeoutMs) } : {}),
      ...(want.has('statuspage') ? { CHAOS_STATUS_PAGE: '1' } : {}),
      ...(smtp ? { SMTP_URL: smtp.url, EMAIL_FROM: 'Status <status@example.test>' } : {}),
      ...(mastodon ? { MASTODON_URL: mastodon.url, MASTODON_TOKEN: mastodon.token } : {}),
      ...(slack ? { SLACK_API_URL: slack.apiUrl, SLACK_TOKEN: slack.token, SLACK_CHANNEL: SLACK_FAKE_CHANNEL.id } : {}),
      ...(twitter
        ? {
            TWITTER_API_URL: twitter.apiUrl,
            TWITTER_APP_KEY: twitter.appKey,
            TWITTER_APP_SECRET: TWITTER_SECRETS.appSecret,
            TWITTER_ACCESS_TOKEN: twitter.accessToken,
            TWITTER_ACCESS_SECRET: TWITTER_SECRETS.accessSecret,
          }
        : {}),
    };
    const redisUrl = options.redisUrl ?? REDIS_URL;
    const channels = channelsFor(vars);
    const h = await startTestHerald({
      database: 'postgres',
      channels,
      workers: false,
      sweeper: options.sweeper ?? { intervalMs: 1_000, staleAfterMs: 4_000 },
      env: { ...vars, REDIS_URL: redisUrl, ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}) },
    }).catch(async (error: unknown) => {
      await Promise.allSettled([smtp?.close(), mastodon?.close(), slack?.close(), twitter?.close()]);
      throw error;
    });
    const databaseUrl = options.databaseUrl ?? h.databaseUrl;
    const ids =
      smtp && options.recipients > 0
        ? await seedSubscribers(h.herald.store.db, options.recipients, { batch: 1000 })
        : [];
    return new ChaosRig(
      h,
      databaseUrl,
      redisUrl,
      { ...vars, HERALD_DATA_DIR: h.dataDir, HERALD_QUEUE_PREFIX: h.prefix },
      smtp,
      mastodon,
      slack,
      twitter,
      ids,
      lockMs,
    );
  }

  /** Starts `node bin/herald.mjs worker` and waits for "herald worker is up". */
  async startWorker(timeoutMs = 30_000): Promise<WorkerChild> {
    const n = ++this.workerSeq;
    const marker = `worker${n}@example.test`;
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/herald.mjs'), 'worker'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...this.vars,
        DATABASE_URL: this.databaseUrl,
        REDIS_URL: this.redisUrl,
        EMAIL_FROM: `Worker ${n} <${marker}>`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    let output = '';
    let partial = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-8_000);
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
        if (msg) this.logged.set(msg, (this.logged.get(msg) ?? 0) + 1);
      }
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`herald worker did not start within ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      const onData = () => {
        if (output.includes('herald worker is up')) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.off('exit', onExit);
          resolvePromise();
        }
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`herald worker exited with ${code} before it was up:\n${output}`));
      };
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
    });
    const worker = { child, marker, tail: () => output };
    this.workers.push(worker);
    return worker;
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(worker: WorkerChild): Promise<void> {
    const i = this.workers.indexOf(worker);
    if (i >= 0) this.workers.splice(i, 1);
    await killChild(worker.child, 'SIGKILL');
  }

  /** Recipient rows claimed but not recorded: sends possibly in flight (each may be repeated after a crash). */
  async inFlight(): Promise<number> {
    const row = await this.h.herald.store.db
      .selectFrom('recipient_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'sending')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async open(title: string, message = 'We are investigating.'): Promise<UpdateRef> {
    const token = `T${randomBytes(4).toString('hex')}`;
    const res = await this.h.api('POST', '/api/v1/incidents', {
      title,
      message: `${message} [${token}]`,
      impact: 'major',
    });
    if (res.status !== 201) throw new Error(`open failed: ${res.status} ${JSON.stringify(res.body)}`);
    const ref = {
      incidentId: res.body.incident.id as string,
      updateId: res.body.update.id as string,
      first: true,
      token,
    };
    this.updates.push(ref);
    return ref;
  }

  async post(incidentId: string, status: string, message: string): Promise<UpdateRef> {
    const token = `T${randomBytes(4).toString('hex')}`;
    const res = await this.h.api('POST', `/api/v1/incidents/${incidentId}/updates`, {
      status,
      message: `${message} [${token}]`,
    });
    if (res.status !== 201) throw new Error(`update failed: ${res.status} ${JSON.stringify(res.body)}`);
    const ref = { incidentId, updateId: res.body.update.id as string, first: false, token };
    this.updates.push(ref);
    return ref;
  }

  async unsettled(): Promise<Array<{ channel: string; state: string; update_id: string; error: string | null }>> {
    if (this.updates.length === 0) return [];
    return this.h.herald.store.db
      .selectFrom('deliveries')
      .select(['channel', 'state', 'update_id', 'error'])
      .where(
        'update_id',
        'in',
        this.updates.map((u) => u.updateId),
      )
      .where('state', 'not in', [...SETTLED_DELIVERY_STATES])
      .execute();
  }

  /** Waits until every delivery row of every published update is settled. */
  async waitSettled(timeoutMs: number): Promise<void> {
    try {
      await eventually(async () => (await this.unsettled()).length === 0, timeoutMs, 250);
    } catch (error) {
      const rows = await this.unsettled().catch(() => []);
      throw new Error(
        `${(error as Error).message}; unsettled: ${JSON.stringify(rows)}; sink total ${this.smtp?.total()}; ${await this.diagnose()}`,
      );
    }
  }

  /** The fan-out's bookkeeping, for failure messages. */
  async diagnose(): Promise<string> {
    const db = this.h.herald.store.db;
    try {
      const deliveries = await db
        .selectFrom('deliveries')
        .select(['id', 'channel', 'state', 'total', 'delivered', 'failed', 'attempts', 'generation'])
        .where('channel', '=', 'email')
        .execute();
      const pages = await db.selectFrom('fanout_pages').select(['delivery_id', 'seq', 'count', 'done']).execute();
      const fanouts = await db.selectFrom('fanouts').selectAll().execute();
      const recipients = await db
        .selectFrom('recipient_deliveries')
        .select(['delivery_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['delivery_id', 'state'])
        .execute();
      const jobs: string[] = [];
      for (const name of ['fanout-email', 'deliver-email']) {
        const queue = new Queue(name, {
          connection: { host: new URL(this.redisUrl).hostname, port: Number(new URL(this.redisUrl).port) },
          prefix: this.vars.HERALD_QUEUE_PREFIX,
        });
        for (const job of await queue.getJobs(['active', 'waiting', 'delayed', 'failed', 'completed', 'prioritized'])) {
          jobs.push(`${job.id}:${await job.getState()}:${job.attemptsMade}:${job.failedReason ?? ''}`);
        }
        await queue.close();
      }
      const tails = this.workers.map((w) => w.tail().slice(-1500));
      return `jobs ${JSON.stringify(jobs)}; worker tails ${JSON.stringify(tails)}; deliveries ${JSON.stringify(deliveries)}; fanouts ${JSON.stringify(fanouts)}; pages ${JSON.stringify(pages)}; recipients ${JSON.stringify(recipients)}; worker log: ${JSON.stringify([...this.logged])}`;
    } catch (error) {
      return `(diagnosis failed: ${(error as Error).message})`;
    }
  }

  /** Counts at the sinks against what each update owed each channel and recipient. */
  async report(): Promise<ChannelReport[]> {
    const db = this.h.herald.store.db;
    const reports: ChannelReport[] = [];
    const deliveries = await db
      .selectFrom('deliveries')
      .select(['id', 'channel', 'state', 'update_id', 'error'])
      .where(
        'update_id',
        'in',
        this.updates.map((u) => u.updateId),
      )
      .execute();
    const rowOf = (updateId: string, channel: string) =>
      deliveries.find((d) => d.update_id === updateId && d.channel === channel);

    if (this.smtp) {
      const r: ChannelReport = { channel: 'email', expected: 0, received: 0, lost: 0, duplicates: 0, recorded: 0 };
      for (const u of this.updates) {
        const row = rowOf(u.updateId, 'email');
        if (!row) continue;
        const reasons = new Map(
          (
            await db
              .selectFrom('recipient_deliveries')
              .select(['subscriber_id', 'state', 'error'])
              .where('delivery_id', '=', row.id)
              .where('state', 'in', ['failed', 'skipped'])
              .execute()
          ).map((x) => [x.subscriber_id, x.error]),
        );
        // Suppressed or disabled after a hard bounce: later updates do not plan them; the subscriber row says why.
        for (const s of await db
          .selectFrom('subscribers')
          .select(['id', 'last_error'])
          .where('state', '!=', 'active')
          .execute()) {
          if (!reasons.has(s.id) && s.last_error) reasons.set(s.id, s.last_error);
        }
        for (const id of this.subscriberIds) {
          r.expected++;
          const messageId = u.first
            ? `<incident-${u.incidentId}.${id}@${HOST}>`
            : `<update-${u.updateId}.${id}@${HOST}>`;
          const n = this.smtp.byMessageId.get(messageId) ?? 0;
          if (n > 0) r.received++;
          if (n > 1) r.duplicates += n - 1;
          if (n === 0) {
            if (reasons.get(id)) r.recorded++;
            else r.lost++;
          }
        }
      }
      reports.push(r);
    }
    const posts: Array<[ChaosChannel, () => string[]]> = [];
    if (this.mastodon) posts.push(['mastodon', () => this.mastodon!.posts.map((p) => p.text)]);
    if (this.twitter) posts.push(['twitter', () => this.twitter!.posts.map((p) => p.text)]);
    if (this.slack)
      posts.push(['slack', () => this.slack!.messages.map((m) => `${m.text} ${JSON.stringify(m.blocks)}`)]);
    if (this.vars.CHAOS_STATUS_PAGE === '1') {
      // The page as published: each update once among its incident's updates in incidents.json.
      const published = JSON.parse(
        readFileSync(join(this.h.dataDir, 'site', 'api', 'v2', 'incidents.json'), 'utf8'),
      ) as { incidents: Array<{ incident_updates: Array<{ body: string }> }> };
      posts.push(['statuspage', () => published.incidents.flatMap((i) => i.incident_updates.map((u) => u.body))]);
    }
    for (const [channel, texts] of posts) {
      const r: ChannelReport = { channel, expected: 0, received: 0, lost: 0, duplicates: 0, recorded: 0 };
      const all = texts();
      for (const u of this.updates) {
        const row = rowOf(u.updateId, channel);
        if (!row) continue;
        r.expected++;
        const n = all.filter((t) => t.includes(u.token)).length;
        if (n > 0) r.received++;
        if (n > 1) r.duplicates += n - 1;
        if (n === 0) {
          if ((row.state === 'failed' || row.state === 'skipped') && row.error) r.recorded++;
          else r.lost++;
        }
      }
      reports.push(r);
    }
    return reports;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.children.map((c) => killChild(c, 'SIGKILL')));
    await this.h.close().catch(() => undefined);
    await Promise.allSettled([this.smtp?.close(), this.mastodon?.close(), this.slack?.close(), this.twitter?.close()]);
  }
}

export function channelsFor(vars: Record<string, string>): ChannelDefinition[] {
  const made = (typeof config === 'function' ? config(vars) : config) as HeraldConfig;
  return made.channels.filter((c): c is ChannelDefinition => Boolean(c));
}

export function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => resolvePromise(), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill(signal);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Prints the lost/duplicates table of one case. */
export function printTable(title: string, rows: ChannelReport[], extra = ''): void {
  const lines = [
    `\n[chaos] ${title}${extra ? ` — ${extra}` : ''}`,
    '  channel      expected  received  lost  duplicates  recorded-reason',
    ...rows.map(
      (r) =>
        `  ${r.channel.padEnd(11)}  ${String(r.expected).padStart(8)}  ${String(r.received).padStart(8)}  ${String(r.lost).padStart(4)}  ${String(r.duplicates).padStart(10)}  ${String(r.recorded).padStart(15)}`,
    ),
  ];
  console.log(lines.join('\n'));
}

/** Waits (bounded) until the sink has seen at least `count` messages. Returns false on timeout. */
export async function waitForSink(smtp: ChaosSmtp, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (smtp.total() >= count) return true;
    await sleep(20);
  }
  return false;
}

import type { Channel } from '../channel.js';
import type { Executor } from '../../store/executor.js';
import { listTargetStates } from '../../store/statuspage-targets-repo.js';
import { isStatusPageChannel } from './index.js';

/** One off-site copy of the status page, as the delivery record, the console and /metrics show it. */
export interface TargetView {
  name: string;
  /** `current`: it holds the latest build it was offered; `behind`: a publish failed; `unknown`: never published. */
  state: 'current' | 'behind' | 'unknown';
  /** The data stamp of the build it holds (the latest change it shows). */
  publishedStamp?: string;
  publishedAt?: string;
  behindSince?: string;
  /** Seconds it has been behind (0 when current). */
  lagSeconds: number;
  error?: string;
  /** When it is tried again. */
  retryAt?: string;
}

/** Each status page channel's targets, by channel name, from their recorded state. */
export async function targetViews(
  db: Executor,
  channels: ReadonlyArray<Channel>,
  now = Date.now(),
): Promise<Map<string, TargetView[]>> {
  const pages = channels.filter(isStatusPageChannel);
  const out = new Map<string, TargetView[]>();
  if (pages.length === 0) return out;
  const states = await listTargetStates(db);
  for (const page of pages) {
    out.set(
      page.name,
      page.site.targets.map((target): TargetView => {
        const s = states.find((r) => r.channel === page.name && r.target === target.name);
        if (!s) return { name: target.name, state: 'unknown', lagSeconds: 0 };
        const behind = s.behindSince !== null;
        return {
          name: target.name,
          state: behind ? 'behind' : s.publishedAt ? 'current' : 'unknown',
          ...(s.publishedStamp ? { publishedStamp: s.publishedStamp } : {}),
          ...(s.publishedAt ? { publishedAt: s.publishedAt } : {}),
          ...(behind ? { behindSince: s.behindSince! } : {}),
          lagSeconds: behind ? Math.max(0, (now - Date.parse(s.behindSince!)) / 1000) : 0,
          ...(behind && s.lastError ? { error: s.lastError } : {}),
          ...(behind && s.nextAttemptAt ? { retryAt: s.nextAttemptAt } : {}),
        };
      }),
    );
  }
  return out;
}

/** The per-channel delivery view with each status page channel's targets added (`targets`). */
export async function withTargetViews<V extends { channels: Array<{ channel: string }> }>(
  db: Executor,
  channels: ReadonlyArray<Channel>,
  view: V,
): Promise<V> {
  const targets = await targetViews(db, channels);
  if (targets.size === 0) return view;
  return {
    ...view,
    channels: view.channels.map((c) => (targets.has(c.channel) ? { ...c, targets: targets.get(c.channel) } : c)),
  };
}

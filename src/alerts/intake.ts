import { newId, nowIso } from '../domain/ids.js';
import { type PublishDeps, postUpdate } from '../pipeline/publish.js';
import { listComponents } from '../store/components-repo.js';
import { isUniqueViolation } from '../store/db.js';
import { type AttachOutcome, attachAlerts } from '../store/drafts-repo.js';
import type { AlertQueues } from './jobs.js';
import type { AlertMetrics } from './metrics.js';
import type { AlertRules } from './rules.js';
import type { AlertBatch } from './sources.js';

export interface AlertIntakeDeps {
  publishDeps: PublishDeps;
  rules: AlertRules;
  queues: AlertQueues;
  metrics: AlertMetrics;
  flapWindowMs: number;
}

export interface IntakeAnswer {
  incidentId: string | null;
  draft: boolean;
}

/**
 * Takes one delivery of alerts: attaches it to its group's draft (a new draft when the group fires with none),
 * then, for a new draft, asks for the commanders' page and schedules its holding statement; for a published
 * incident whose alerts all resolved under a rule with autoResolve, posts the resolution.
 */
export async function receiveAlerts(
  deps: AlertIntakeDeps,
  batch: AlertBatch,
  receivedAtMs: number,
): Promise<IntakeAnswer> {
  const { publishDeps, metrics } = deps;
  if (batch.skip || Object.keys(batch.alerts).length === 0) {
    metrics.received.inc({ source: batch.source, outcome: 'ignored' });
    return { incidentId: null, draft: false };
  }
  const db = publishDeps.store.db;
  const components = await listComponents(db);
  const attach = () => {
    const now = nowIso();
    return attachAlerts(publishDeps.store, {
      source: batch.source,
      groupKey: batch.groupKey,
      alerts: batch.alerts,
      flapWindowMs: deps.flapWindowMs,
      now,
      proposal: () => {
        const { proposal, unknown } = deps.rules.propose(batch, components, newId(), now);
        if (unknown.length > 0)
          publishDeps.logger.warn(
            { source: batch.source, rule: proposal.rule, components: unknown },
            'alert names components Herald does not have; the draft leaves them out',
          );
        return proposal;
      },
    });
  };
  let outcome: AttachOutcome;
  try {
    outcome = await attach();
  } catch (error) {
    // Two first deliveries of one group at once (Alertmanager's HA pair): the second finds the first's draft.
    if (!isUniqueViolation(error)) throw error;
    outcome = await attach();
  }
  metrics.received.inc({ source: batch.source, outcome: outcome.kind });
  if (outcome.kind === 'ignored') return { incidentId: null, draft: false };
  const { draft } = outcome;

  if (outcome.kind === 'created') {
    metrics.toDraft.observe({ source: batch.source }, (Date.now() - receivedAtMs) / 1000);
    await afterCommit(publishDeps, draft.id, 'page the commanders', () => deps.queues.page(draft.id));
  }
  if ((outcome.kind === 'created' || (outcome.kind === 'changed' && outcome.revived)) && draft.autoPublishAt) {
    await afterCommit(publishDeps, draft.id, 'schedule the holding statement', () =>
      deps.queues.scheduleHolding(draft),
    );
  }
  if (outcome.kind === 'changed' && outcome.allResolved && draft.state === 'published' && draft.autoResolve) {
    // Not posted (the queue is away, or a commander resolved it meanwhile): the console still offers it.
    await afterCommit(publishDeps, draft.id, 'post the automatic resolution', async () => {
      await postUpdate(publishDeps, draft.id, {
        message: 'The problem is resolved: every alert behind this incident has cleared.',
        status: 'resolved',
      });
    });
  }
  return { incidentId: draft.id, draft: draft.state === 'draft' };
}

/** The draft is stored: a queue that is away now is not the sender's problem (the sweep catches holding statements up). */
async function afterCommit(deps: PublishDeps, draftId: string, what: string, run: () => Promise<void>) {
  try {
    await run();
  } catch (error) {
    deps.logger.warn({ draftId, err: (error as Error).message }, `could not ${what}; the draft is stored`);
  }
}

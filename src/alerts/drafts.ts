import type { Draft } from '../domain/drafts.js';
import { NotFoundError, StateConflictError } from '../domain/errors.js';
import { nowIso } from '../domain/ids.js';
import type { PublishDraftInput } from '../domain/schemas.js';
import { type PublishDeps, type Published, publish } from '../pipeline/publish.js';
import { dismissDraft, getDraft } from '../store/drafts-repo.js';
import { getIncident } from '../store/incidents-repo.js';

/**
 * Publishes a draft through the one publish path: the incident gets the draft's id, and the draft's state changes
 * in the same transaction, so a commander and the holding statement can never both publish it. Anything in
 * `input` replaces the draft's own value; components named replace the draft's whole set.
 */
export async function publishDraft(
  deps: PublishDeps,
  id: string,
  input: PublishDraftInput,
  by: 'commander' | 'holding' = 'commander',
): Promise<Published & { draft: Draft }> {
  const draft = await getDraft(deps.store.db, id);
  if (!draft) {
    if (await getIncident(deps.store.db, id)) throw new StateConflictError(`incident '${id}' is published already`);
    throw new NotFoundError('draft', id);
  }
  if (draft.state !== 'draft') {
    throw new StateConflictError(`draft '${id}' is ${draft.state} already; only a draft can be published`);
  }
  const published = await publish(deps, {
    title: input.title ?? draft.title,
    message: input.message ?? draft.message,
    status: input.status ?? draft.status,
    impact: input.impact ?? draft.impact,
    components: input.components ?? Object.fromEntries(draft.components.map((c) => [c.id, c.status])),
    channels: input.channels,
    socialText: input.socialText,
    draft: { id, by },
  });
  return { ...published, draft };
}

/** A commander dismisses a draft (DELETE /api/v1/incidents/:id): 409 for a published incident. */
export async function dismiss(deps: Pick<PublishDeps, 'store'>, id: string, now = nowIso()): Promise<void> {
  const outcome = await dismissDraft(deps.store.db, id, now);
  if (outcome === 'dismissed' || outcome === 'already') return;
  if (outcome === 'published' || (await getIncident(deps.store.db, id)))
    throw new StateConflictError(`incident '${id}' is published; resolve it with an update instead of deleting it`);
  throw new NotFoundError('draft', id);
}

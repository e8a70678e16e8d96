import type { Executor } from './executor.js';
import type { ConsolePostmortemDraftsTable } from './schema.js';

/** A postmortem being written in the console, one per incident, until it is published. */
export type PostmortemDraft = ConsolePostmortemDraftsTable;

export async function findPostmortemDraft(db: Executor, incidentId: string): Promise<PostmortemDraft | undefined> {
  return db
    .selectFrom('console_postmortem_drafts')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
}

/** Stores the incident's draft, replacing an earlier one. */
export async function savePostmortemDraft(db: Executor, draft: PostmortemDraft): Promise<void> {
  const { incident_id, ...changes } = draft;
  const updated = await db
    .updateTable('console_postmortem_drafts')
    .set(changes)
    .where('incident_id', '=', incident_id)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) await db.insertInto('console_postmortem_drafts').values(draft).execute();
}

export async function deletePostmortemDraft(db: Executor, incidentId: string): Promise<void> {
  await db.deleteFrom('console_postmortem_drafts').where('incident_id', '=', incidentId).execute();
}

import { openIncident } from '../src/pipeline/publish.js';
import type { Herald } from '../src/app/herald.js';

/** Publishes one incident through the same path the API uses. */
export async function openPublish(herald: Herald): Promise<{ updateId: string }> {
  const { update } = await openIncident(herald.publishDeps, {
    title: 'Bench incident',
    message: 'We are looking into **elevated errors**.',
  });
  return { updateId: update.id };
}

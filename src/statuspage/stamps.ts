import type { IncidentStamp } from '../store/status-page-reads.js';

/** The stamp an incident page is recorded with (see IncidentStamp). */
export const stampKey = (stamp: IncidentStamp) => `${stamp.updatedAt}#${stamp.updates}`;

/**
 * How recent the data a build read is: the latest change to any incident, component or maintenance. Nothing the
 * page shows is ever deleted (only changed, which moves its `updated_at`), so a build that read the database
 * later has a stamp at least as high. Empty for an empty database.
 */
export function dataStamp(
  incidents: ReadonlyMap<string, IncidentStamp>,
  others: ReadonlyArray<{ updatedAt: string }>,
): string {
  let latest = '';
  for (const { updatedAt } of [...incidents.values(), ...others]) if (updatedAt > latest) latest = updatedAt;
  return latest;
}

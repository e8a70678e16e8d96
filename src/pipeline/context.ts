import type { UpdateContext } from '../channels/channel.js';
import type { ComponentStatus } from '../domain/enums.js';
import { shortIncidentUrl } from '../domain/short-links.js';
import { appUrlOf } from '../lib/app-url.js';
import { toUpdate } from '../store/incidents-repo.js';
import type { Executor } from '../store/executor.js';
import { componentsBeforeUpdate, getUpdateWithIncident } from '../store/updates-repo.js';

export interface SiteInfo {
  name: string;
  publicUrl: string;
  /** Where Herald answers, when apart from the status page (short links); see appUrlOf. */
  appUrl?: string;
}

export const incidentUrl = (publicUrl: string, incidentId: string) =>
  `${publicUrl.replace(/\/+$/, '')}/incidents/${incidentId}.html`;

/**
 * What every channel renders from. The incident is shown as of this update (its status and components
 * then), so a retried or late job never shows newer state than the update it carries.
 */
export async function loadUpdateContext(db: Executor, site: SiteInfo, updateId: string): Promise<UpdateContext> {
  // The update carries its own component snapshot: with the incident's row, that is all a channel shows.
  const row = await getUpdateWithIncident(db, updateId);
  if (!row) throw new Error(`update ${updateId} not found`);
  const update = toUpdate(row);
  // Only the components this update names get a previous status: none named, nothing to look up.
  const before =
    update.components.length > 0 ? await componentsBeforeUpdate(db, row.incident_id, Number(row.number)) : [];
  const previous = new Map(before.map((c) => [c.id, c.status as ComponentStatus]));
  const components = update.components.map((c) => ({ ...c, previousStatus: previous.get(c.id) ?? 'operational' }));
  return buildUpdateContext(
    site,
    {
      id: row.incident_id,
      title: row.title,
      status: update.status,
      impact: row.impact as UpdateContext['incident']['impact'],
      startedAt: row.started_at,
      resolvedAt: row.resolved_at,
      maintenanceId: row.maintenance_id ?? undefined,
    },
    { ...update, components, number: Number(row.number) },
  );
}

export function buildUpdateContext(
  site: SiteInfo,
  incident: Parameters<typeof toIncidentView>[1],
  update: {
    id: string;
    status: UpdateContext['update']['status'];
    message: string;
    createdAt: string;
    number: number;
    components: UpdateContext['incident']['components'];
    socialText?: string;
  },
): UpdateContext {
  return {
    site: { name: site.name, url: site.publicUrl },
    incident: { ...toIncidentView(site, incident), status: update.status, components: update.components },
    update: {
      id: update.id,
      status: update.status,
      message: update.message,
      createdAt: update.createdAt,
      number: update.number,
      isFirst: update.number === 1,
      ...(update.socialText ? { socialText: update.socialText } : {}),
    },
  };
}

function toIncidentView(
  site: SiteInfo,
  incident: {
    id: string;
    title: string;
    status: UpdateContext['incident']['status'];
    impact: UpdateContext['incident']['impact'];
    startedAt: string;
    resolvedAt: string | null;
    maintenanceId?: string;
  },
) {
  // A maintenance's notices are stored as a thread no incident page shows: they link to the maintenance itself.
  if (incident.maintenanceId) {
    const url = `${site.publicUrl.replace(/\/+$/, '')}/#maintenance-${incident.maintenanceId}`;
    return { ...incidentFields(incident), url, shortUrl: url, maintenanceId: incident.maintenanceId };
  }
  return {
    ...incidentFields(incident),
    url: incidentUrl(site.publicUrl, incident.id),
    shortUrl: shortIncidentUrl(appUrlOf(site), incident.id),
  };
}

function incidentFields(incident: {
  id: string;
  title: string;
  status: UpdateContext['incident']['status'];
  impact: UpdateContext['incident']['impact'];
  startedAt: string;
  resolvedAt: string | null;
}) {
  return {
    id: incident.id,
    title: incident.title,
    status: incident.status,
    impact: incident.impact,
    startedAt: incident.startedAt,
    resolvedAt: incident.resolvedAt,
  };
}

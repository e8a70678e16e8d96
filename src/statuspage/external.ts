// Groups that stand for another status page. Its summary.json is read at build time (never by the reader's
// browser: the page makes no third-party requests); if it can't be read, the group is still shown as a link.
import { COMPONENT_STATUSES, type ComponentStatus } from '../domain/enums.js';
import type { Logger } from '../runtime/logger.js';
import type { ExternalGroup } from './options.js';

export interface ExternalGroupView {
  name: string;
  url: string;
  components: Array<{ name: string; status: ComponentStatus }>;
  note: string;
}

const TIMEOUT_MS = 3_000;

export class ExternalGroups {
  /** Last good answer per summary URL: a provider that is down itself should not blank the group. */
  private readonly lastGood = new Map<string, ExternalGroupView['components']>();

  constructor(
    private readonly groups: ExternalGroup[],
    private readonly logger: Logger,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async views(): Promise<ExternalGroupView[]> {
    return Promise.all(this.groups.map((g) => this.view(g)));
  }

  private async view(group: ExternalGroup): Promise<ExternalGroupView> {
    const base = { name: group.name, url: group.url };
    if (!group.summaryUrl)
      return { ...base, components: [], note: `See ${group.name}'s own status page for its current status.` };
    try {
      const response = await this.fetchFn(group.summaryUrl, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const components = pickComponents(await response.json(), group.components);
      this.lastGood.set(group.summaryUrl, components);
      return { ...base, components, note: '' };
    } catch (error) {
      this.logger.warn(
        { url: group.summaryUrl, err: (error as Error).message },
        `could not read ${group.name}'s summary.json; showing the last known status (check externalGroups[].summaryUrl)`,
      );
      const cached = this.lastGood.get(group.summaryUrl);
      return {
        ...base,
        components: cached ?? [],
        note: cached ? '' : `Status unavailable right now: see ${group.name}'s status page.`,
      };
    }
  }
}

function pickComponents(summary: unknown, names: string[] | undefined): ExternalGroupView['components'] {
  const list = (summary as { components?: unknown })?.components;
  if (!Array.isArray(list)) throw new Error('summary.json has no components array');
  const wanted = names ? new Set(names) : null;
  return list
    .filter(
      (c): c is { name: string; status: string; group?: boolean } =>
        typeof c?.name === 'string' && typeof c?.status === 'string',
    )
    .filter((c) => !c.group && (!wanted || wanted.has(c.name)))
    .map((c) => ({
      name: c.name,
      status: (COMPONENT_STATUSES as readonly string[]).includes(c.status)
        ? (c.status as ComponentStatus)
        : 'operational',
    }));
}

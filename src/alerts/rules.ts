import Handlebars from 'handlebars';
import type { AlertRule } from '../config/define.js';
import { ConfigError } from '../config/env.js';
import type { DraftProposal } from '../domain/drafts.js';
import {
  COMPONENT_STATUSES,
  type ComponentStatus,
  INCIDENT_IMPACTS,
  INCIDENT_STATUSES,
  type IncidentImpact,
} from '../domain/enums.js';
import type { Component } from '../domain/types.js';
import type { AlertBatch } from './sources.js';

export const DEFAULT_RULE_NAME = 'default';

const SEVERITY: Record<string, { status: ComponentStatus; impact: IncidentImpact }> = {
  critical: { status: 'major_outage', impact: 'major' },
  warning: { status: 'partial_outage', impact: 'minor' },
};
const OTHER_SEVERITY = { status: 'degraded_performance' as const, impact: 'minor' as const };

const DEFAULT_TITLE =
  '{{#if annotations.summary}}{{annotations.summary}}{{else if alert.annotations.summary}}{{alert.annotations.summary}}{{else}}{{alert.labels.alertname}}{{/if}}';
const DEFAULT_MESSAGE =
  '{{#if annotations.description}}{{annotations.description}}{{else if alert.annotations.description}}{{alert.annotations.description}}{{else}}We are investigating an alert: {{alert.labels.alertname}}.{{/if}}';

type Template = (context: object) => string;

interface CompiledRule {
  rule: AlertRule;
  title: Template;
  message: Template;
  /** The default rule reads components and severity from each alert's labels. */
  fromLabels: boolean;
}

/** The rules of channels.config.ts, checked and compiled once; the contract's default rule after them. */
export class AlertRules {
  private readonly rules: CompiledRule[];
  private readonly hbs = Handlebars.create();

  constructor(rules: AlertRule[] | undefined, defaultAutoPublishMinutes: number | undefined) {
    this.rules = (rules ?? []).map((rule, i) => this.compile(rule, `alerts.rules[${i}]`, false));
    this.rules.push(
      this.compile(
        {
          name: DEFAULT_RULE_NAME,
          title: DEFAULT_TITLE,
          message: DEFAULT_MESSAGE,
          ...(defaultAutoPublishMinutes !== undefined ? { autoPublishMinutes: defaultAutoPublishMinutes } : {}),
        },
        'default rule',
        true,
      ),
    );
  }

  private compile(rule: AlertRule, at: string, fromLabels: boolean): CompiledRule {
    if (!rule.name || !/^[A-Za-z0-9_.-]{1,64}$/.test(rule.name))
      throw new ConfigError(`${at}.name: give each rule a name of letters, digits and _ . - (at most 64)`);
    if (rule.status && !(INCIDENT_STATUSES as readonly string[]).includes(rule.status))
      throw new ConfigError(`${at}.status: '${rule.status}' is not one of ${INCIDENT_STATUSES.join(', ')}`);
    if (rule.impact && !(INCIDENT_IMPACTS as readonly string[]).includes(rule.impact))
      throw new ConfigError(`${at}.impact: '${rule.impact}' is not one of ${INCIDENT_IMPACTS.join(', ')}`);
    for (const [component, status] of Object.entries(rule.components ?? {}))
      if (!(COMPONENT_STATUSES as readonly string[]).includes(status))
        throw new ConfigError(
          `${at}.components.${component}: '${status}' is not one of ${COMPONENT_STATUSES.join(', ')}`,
        );
    const minutes = rule.autoPublishMinutes;
    if (minutes !== undefined && (!Number.isFinite(minutes) || minutes < 0 || minutes > 10_080))
      throw new ConfigError(`${at}.autoPublishMinutes: must be a number of minutes from 0 to 10080 (0 = at once)`);
    const template = (source: string | undefined, fallback: string, field: string): Template => {
      try {
        const compiled = this.hbs.compile(source ?? fallback, { noEscape: true, strict: false });
        compiled({});
        return compiled;
      } catch (error) {
        throw new ConfigError(`${at}.${field}: the template does not compile: ${(error as Error).message}`);
      }
    };
    return {
      rule,
      title: template(rule.title, DEFAULT_TITLE, 'title'),
      message: template(rule.message, DEFAULT_MESSAGE, 'message'),
      fromLabels,
    };
  }

  /** The rule that takes this group: the first whose sources and labels match, else the default rule. */
  ruleFor(batch: AlertBatch): CompiledRule {
    const firing = Object.values(batch.alerts).filter((a) => a.status === 'firing');
    const labelSets = (firing.length > 0 ? firing : Object.values(batch.alerts)).map((a) => a.labels);
    return (
      this.rules.find(({ rule }) => {
        if (rule.sources && !rule.sources.includes(batch.source)) return false;
        const match = Object.entries(rule.match ?? {});
        return labelSets.some((labels) =>
          match.every(([name, want]) => {
            const value = labels[name];
            if (value === undefined) return false;
            return typeof want === 'string' ? value === want : want.test(value);
          }),
        );
      }) ?? this.rules[this.rules.length - 1]!
    );
  }

  /** The draft a group proposes under its rule; components not found are left out (and named in `unknown`). */
  propose(
    batch: AlertBatch,
    components: ReadonlyArray<Pick<Component, 'id' | 'name'>>,
    id: string,
    now: string,
  ): { proposal: DraftProposal; unknown: string[] } {
    const compiled = this.ruleFor(batch);
    const { rule } = compiled;
    const alerts = Object.values(batch.alerts);
    const firing = alerts.filter((a) => a.status === 'firing');
    const first = firing[0] ?? alerts[0];
    const context = {
      source: batch.source,
      groupKey: batch.groupKey,
      labels: batch.commonLabels,
      annotations: batch.commonAnnotations,
      alert: first,
      alerts,
      count: firing.length,
    };
    const unknown: string[] = [];
    const find = (ref: string) => {
      const lower = ref.trim().toLowerCase();
      const found =
        components.find((c) => c.id === ref) ?? components.find((c) => c.name.trim().toLowerCase() === lower);
      if (!found) unknown.push(ref);
      return found;
    };
    const chosen = new Map<string, { id: string; name: string; status: ComponentStatus }>();
    let impact: IncidentImpact = rule.impact ?? 'minor';
    if (compiled.fromLabels) {
      const worst = { rank: -1, impact: 'minor' as IncidentImpact };
      for (const alert of firing.length > 0 ? firing : alerts) {
        const effect = SEVERITY[(alert.labels.severity ?? '').toLowerCase()] ?? OTHER_SEVERITY;
        const rank = COMPONENT_STATUSES.indexOf(effect.status);
        if (rank > worst.rank) Object.assign(worst, { rank, impact: effect.impact });
        const ref = alert.labels.component;
        const component = ref ? find(ref) : undefined;
        const previous = component && chosen.get(component.id);
        if (component && (!previous || COMPONENT_STATUSES.indexOf(previous.status) < rank))
          chosen.set(component.id, { id: component.id, name: component.name, status: effect.status });
      }
      impact = worst.impact;
    } else {
      for (const [ref, status] of Object.entries(rule.components ?? {})) {
        const component = find(ref);
        if (component) chosen.set(component.id, { id: component.id, name: component.name, status });
      }
    }
    const minutes = rule.autoPublishMinutes;
    const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
    return {
      proposal: {
        id,
        rule: rule.name,
        title: oneLine(compiled.title(context)).slice(0, 255) || 'Alert',
        message: compiled.message(context).trim().slice(0, 20_000) || 'We are investigating an alert.',
        status: rule.status ?? 'investigating',
        impact,
        components: [...chosen.values()],
        channels: rule.channels ?? null,
        autoResolve: rule.autoResolve ?? false,
        autoPublishAt: minutes === undefined ? null : new Date(Date.parse(now) + minutes * 60_000).toISOString(),
      },
      unknown: [...new Set(unknown)],
    };
  }

  /** Channel names the rules name, for a check against the enabled channels at start. */
  channelsNamed(): Array<{ rule: string; channel: string }> {
    return this.rules.flatMap(({ rule }) => (rule.channels ?? []).map((channel) => ({ rule: rule.name, channel })));
  }
}

import type { ChannelDefinition } from '../channels/channel.js';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../domain/enums.js';

// channels.config.ts is typed from here; a channel's own types (its definition, what it gets when built) belong to
// src/channels/channel.ts and are named here too for the config file's authors.
export type { ChannelDefinition, ChannelRuntime } from '../channels/channel.js';

/**
 * A rule for alerts (docs/alerts.md): which alerts it takes and the draft it proposes. `title` and `message` are
 * Handlebars templates over the alert group: {{labels.x}} / {{annotations.x}} (shared by every alert),
 * {{alert.labels.x}} (the first firing alert), {{alerts}}, {{count}}, {{source}}.
 */
export interface AlertRule {
  name: string;
  /** Labels (fields, for the generic form) that must all match: a string is equality, a RegExp a test. None: every alert. */
  match?: Record<string, string | RegExp>;
  /** Which senders the rule takes; default all. */
  sources?: Array<'alertmanager' | 'grafana' | 'pagerduty' | 'generic'>;
  /** Affected components by id or name, with the status each shows once published. */
  components?: Record<string, ComponentStatus>;
  status?: IncidentStatus;
  impact?: IncidentImpact;
  title?: string;
  message?: string;
  /** Channels of the holding statement; default every enabled channel. */
  channels?: string[];
  /** Publish a holding statement when nobody has published or dismissed the draft after this many minutes (0: at once). */
  autoPublishMinutes?: number;
  /** Resolve the published incident by itself when every alert of its group has resolved. */
  autoResolve?: boolean;
}

export interface HeraldConfig {
  /** The public page's name and brand: logo and favicon are paths to SVG/PNG files, accentColor `#rrggbb`. */
  site?: {
    name?: string;
    logo?: string;
    favicon?: string;
    accentColor?: string;
    /**
     * Sites that may show embed.html (the status widget) in a frame: origins such as `https://www.example.com` or
     * `https://*.example.com`, `'self'`, or `*` for any site (the default); `[]` for none. Every other page keeps
     * `frame-ancestors 'none'`.
     */
    embedAncestors?: string[];
  };
  /** Alerts → drafts. Without rules the default rule applies (docs/alerts.md). */
  alerts?: {
    rules?: AlertRule[];
    /** A group that fires again this soon after its draft closed stays on that draft; default 10. */
    flapWindowMinutes?: number;
  };
  channels: Array<ChannelDefinition | false | null | undefined | '' | 0>;
}

/** Typed config helper for channels.config.ts: a wrong option is a compile error. */
export function defineConfig(config: HeraldConfig | ((env: NodeJS.ProcessEnv) => HeraldConfig)) {
  return config;
}
export type ConfigExport = ReturnType<typeof defineConfig>;

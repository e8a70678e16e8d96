import { Counter, Histogram, type Registry } from 'prom-client';
import type { Draft } from '../domain/drafts.js';

/** Alert metrics, per source: what arrived, how long to a draft, how long from a draft to its publication. */
export class AlertMetrics {
  readonly received: Counter<'source' | 'outcome'>;
  readonly toDraft: Histogram<'source'>;
  readonly toPublished: Histogram<'source' | 'by'>;

  constructor(registry: Registry) {
    this.received = new Counter({
      name: 'herald_alerts_received_total',
      help: 'Alert deliveries by source and outcome (created, changed, unchanged, ignored, rejected)',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    });
    this.toDraft = new Histogram({
      name: 'herald_alert_to_draft_seconds',
      help: 'Seconds from an alert delivery arriving to its new draft being stored',
      labelNames: ['source'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.toPublished = new Histogram({
      name: 'herald_draft_to_published_seconds',
      help: 'Seconds from a draft being created to its publication, by source and by whom (commander, holding)',
      labelNames: ['source', 'by'] as const,
      buckets: [1, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers: [registry],
    });
  }

  published(draft: Pick<Draft, 'source' | 'createdAt'>, by: 'commander' | 'holding', at = Date.now()): void {
    this.toPublished.observe({ source: draft.source, by }, Math.max(0, at - Date.parse(draft.createdAt)) / 1000);
  }
}

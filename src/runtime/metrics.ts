import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics for one Herald process. Queue depth is read from Redis at scrape time. */
export class Metrics {
  readonly registry = new Registry();
  readonly deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Delivery attempts by channel and outcome (delivered, failed, retried, rate_limited, skipped)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly publishToDelivered = new Histogram({
    name: 'herald_publish_to_delivered_seconds',
    help: 'Seconds from an update being stored to its channel delivery being recorded',
    labelNames: ['channel'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'herald_updates_published_total',
    help: 'Updates stored and fanned out',
    registers: [this.registry],
  });

  constructor(
    queueDepth?: () => Promise<Array<{ channel: string; state: string; count: number }>>,
    confirmationDepth?: () => Promise<Record<string, number>>,
    targetLag?: () => Promise<Array<{ target: string; seconds: number }>>,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'herald_' });
    if (queueDepth) {
      new Gauge({
        name: 'herald_queue_jobs',
        help: 'Jobs in each channel queue by state',
        labelNames: ['channel', 'state'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const { channel, state, count } of await queueDepth().catch(() => []))
            this.set({ channel, state }, count);
        },
      });
    }
    if (targetLag) {
      new Gauge({
        name: 'herald_statuspage_target_lag_seconds',
        help: 'Seconds each off-site copy of the status page has been behind the latest build (0 when current)',
        labelNames: ['target'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const { target, seconds } of await targetLag().catch(() => [])) this.set({ target }, seconds);
        },
      });
    }
    if (confirmationDepth) {
      new Gauge({
        name: 'herald_confirmation_jobs',
        help: 'Opt-in messages to new subscribers in the confirmations queue, by state',
        labelNames: ['state'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const [state, count] of Object.entries(await confirmationDepth().catch(() => ({}))))
            this.set({ state }, count);
        },
      });
    }
  }
}

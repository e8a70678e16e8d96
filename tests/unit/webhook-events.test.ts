import { describe, expect, it } from 'vitest';
import type { UpdateContext } from '../../src/channels/channel.js';
import { renderWebhook } from '../../src/channels/webhooks/payload.js';

const base: UpdateContext = {
  site: { name: 'Status', url: 'https://status.example.test' },
  incident: {
    id: 'inc1',
    title: 'Database upgrade',
    status: 'investigating',
    impact: 'none',
    startedAt: '2026-12-07T10:00:00.000Z',
    resolvedAt: null,
    url: 'https://status.example.test/incidents/inc1.html',
    shortUrl: 'https://status.example.test/i/inc1',
    components: [],
  },
  update: {
    id: 'up1',
    status: 'investigating',
    message: 'Upgrading the primary.',
    createdAt: '2026-12-07T10:00:00.000Z',
    number: 1,
    isFirst: true,
  },
};

const withStatus = (ctx: UpdateContext, status: string, number: number): UpdateContext => ({
  ...ctx,
  update: { ...ctx.update, status: status as never, number, isFirst: number === 1 },
});

describe('webhook event types', () => {
  it('an incident: created, updated, resolved, with data.incident', () => {
    expect(renderWebhook(base).type).toBe('incident.created');
    expect(renderWebhook(withStatus(base, 'identified', 2)).type).toBe('incident.updated');
    const resolved = renderWebhook(withStatus(base, 'resolved', 3));
    expect(resolved.type).toBe('incident.resolved');
    expect(Object.keys(JSON.parse(resolved.body).data)).toEqual(['incident', 'update']);
  });

  it("a maintenance's notices: scheduled, updated, completed, cancelled, with data.maintenance under its own id", () => {
    const m: UpdateContext = {
      ...base,
      incident: { ...base.incident, maintenanceId: 'mnt1', url: 'https://status.example.test/#maintenance-mnt1' },
    };
    const scheduled = JSON.parse(renderWebhook(withStatus(m, 'scheduled', 1)).body);
    expect(scheduled.type).toBe('maintenance.scheduled');
    expect(Object.keys(scheduled.data)).toEqual(['maintenance', 'update']);
    expect(scheduled.data.maintenance).toMatchObject({
      id: 'mnt1',
      title: 'Database upgrade',
      url: 'https://status.example.test/#maintenance-mnt1',
    });
    expect(renderWebhook(withStatus(m, 'in_progress', 2)).type).toBe('maintenance.updated');
    expect(renderWebhook(withStatus(m, 'completed', 3)).type).toBe('maintenance.completed');
    expect(renderWebhook(withStatus(m, 'cancelled', 2)).type).toBe('maintenance.cancelled');
  });
});

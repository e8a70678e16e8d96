import { describe, expect, it } from 'vitest';
import { AlertRules } from '../../src/alerts/rules.js';
import { pagerdutySignature, pagerdutySignatureValid } from '../../src/alerts/signature.js';
import { type AlertBatch, readGeneric } from '../../src/alerts/sources.js';
import { readEnv } from '../../src/config/env.js';

const components = [
  { id: 'c1', name: 'API' },
  { id: 'c2', name: 'Checkout' },
];
const NOW = '2026-12-07T12:00:00.000Z';

function batch(alerts: Array<{ labels: Record<string, string>; status?: 'firing' | 'resolved' }>): AlertBatch {
  return {
    source: 'alertmanager',
    groupKey: 'g',
    alerts: Object.fromEntries(
      alerts.map((a, i) => [
        `k${i}`,
        { status: a.status ?? 'firing', at: NOW, labels: a.labels, annotations: { summary: `Summary ${i}` } },
      ]),
    ),
    commonLabels: {},
    commonAnnotations: {},
  };
}

describe('alert rules', () => {
  it('the default rule: component by name or id, the worst severity sets the impact, unknown components left out', () => {
    const rules = new AlertRules(undefined, undefined);
    const { proposal, unknown } = rules.propose(
      batch([
        { labels: { alertname: 'A', component: 'api', severity: 'warning' } },
        { labels: { alertname: 'B', component: 'c2', severity: 'critical' } },
        { labels: { alertname: 'C', component: 'Nope' } },
      ]),
      components,
      'id1',
      NOW,
    );
    expect(proposal.components).toEqual([
      { id: 'c1', name: 'API', status: 'partial_outage' },
      { id: 'c2', name: 'Checkout', status: 'major_outage' },
    ]);
    expect(proposal).toMatchObject({ rule: 'default', impact: 'major', title: 'Summary 0', autoPublishAt: null });
    expect(unknown).toEqual(['Nope']);
    expect(rules.propose(batch([{ labels: { severity: 'info' } }]), components, 'x', NOW).proposal.impact).toBe(
      'minor',
    );
  });

  it("HERALD_ALERT_AUTOPUBLISH_MINUTES sets the default rule's holding time; configured rules match first", () => {
    const rules = new AlertRules(
      [
        {
          name: 'shop',
          match: { team: /^shop/ },
          components: { Checkout: 'degraded_performance' },
          title: '{{alert.labels.team}} trouble',
        },
      ],
      2.5,
    );
    const shop = rules.propose(batch([{ labels: { team: 'shop-eu' } }]), components, 'a', NOW).proposal;
    expect(shop).toMatchObject({ rule: 'shop', title: 'shop-eu trouble', autoPublishAt: null });
    expect(shop.components).toEqual([{ id: 'c2', name: 'Checkout', status: 'degraded_performance' }]);
    const other = rules.propose(batch([{ labels: { team: 'infra' } }]), components, 'b', NOW).proposal;
    expect(other).toMatchObject({ rule: 'default', autoPublishAt: '2026-12-07T12:02:30.000Z' });
  });

  it('a wrong rule stops Herald naming the rule and the field', () => {
    expect(() => new AlertRules([{ name: 'x', status: 'burning' as never }], undefined)).toThrow(
      /alerts\.rules\[0\]\.status: 'burning' is not one of/,
    );
    expect(() => new AlertRules([{ name: 'x', title: '{{#if}}' }], undefined)).toThrow(
      /alerts\.rules\[0\]\.title: the template does not compile/,
    );
    expect(() => new AlertRules([{ name: 'x', components: { API: 'down' as never } }], undefined)).toThrow(
      /alerts\.rules\[0\]\.components\.API: 'down'/,
    );
    expect(() => new AlertRules([{ name: '', autoPublishMinutes: 1 }], undefined)).toThrow(/alerts\.rules\[0\]\.name/);
    expect(() => new AlertRules([{ name: 'x', autoPublishMinutes: -1 }], undefined)).toThrow(/autoPublishMinutes/);
    expect(() => readEnv({ HERALD_ALERT_AUTOPUBLISH_MINUTES: 'soon', HERALD_SECRET: 's' })).toThrow(
      /HERALD_ALERT_AUTOPUBLISH_MINUTES must be a number of minutes from 0 to 10080/,
    );
    expect(readEnv({ HERALD_SECRET: 's' }).alertAutopublishMinutes).toBeUndefined();
    expect(readEnv({ HERALD_ALERT_AUTOPUBLISH_MINUTES: '0', HERALD_SECRET: 's' }).alertAutopublishMinutes).toBe(0);
  });

  it('the generic form refuses unknown fields and names missing ones', () => {
    expect(() => readGeneric({ id: 'a', status: 'firing', title: 't', colour: 'red' }, NOW)).toThrow(
      /colour: is not a known field/,
    );
    expect(() => readGeneric({ id: 'a', status: 'up', title: 't' }, NOW)).toThrow(/status:/);
  });
});

describe('PagerDuty signatures', () => {
  const body = Buffer.from('{"event":{"id":"1"}}');
  it('any of several v1 signatures against any of several secrets; nothing else', () => {
    const good = pagerdutySignature(body, 'new');
    expect(pagerdutySignatureValid(body, good, ['new'])).toBe(true);
    expect(pagerdutySignatureValid(body, `v1=${'0'.repeat(64)},${good}`, ['new'])).toBe(true);
    expect(pagerdutySignatureValid(body, pagerdutySignature(body, 'old'), ['new', 'old'])).toBe(true);
    expect(pagerdutySignatureValid(body, good.replace('v1=', 'v2='), ['new'])).toBe(false);
    expect(pagerdutySignatureValid(body, good.slice(0, -2), ['new'])).toBe(false);
    expect(pagerdutySignatureValid(Buffer.from('{"event":{"id":"2"}}'), good, ['new'])).toBe(false);
    expect(pagerdutySignatureValid(body, undefined, ['new'])).toBe(false);
    expect(pagerdutySignatureValid(body, good, [])).toBe(false);
  });
});

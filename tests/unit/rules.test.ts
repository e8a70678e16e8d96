import { describe, expect, it } from 'vitest';
import { StateConflictError } from '../../src/domain/errors.js';
import { assertCanPublishPostmortem, planUpdate, worstStatus } from '../../src/domain/rules.js';

describe('planUpdate', () => {
  it('opens an incident as investigating by default with the named components', () => {
    expect(planUpdate(null, { components: { a: 'major_outage' } })).toEqual({
      status: 'investigating',
      resolves: false,
      reopens: false,
      affected: [{ id: 'a', status: 'major_outage' }],
    });
  });

  it("an update's status moves the incident and merges component statuses", () => {
    const plan = planUpdate(
      {
        status: 'investigating',
        components: [
          { id: 'a', status: 'major_outage' },
          { id: 'b', status: 'degraded_performance' },
        ],
      },
      { status: 'identified', components: { b: 'partial_outage', c: 'degraded_performance' } },
    );
    expect(plan.status).toBe('identified');
    expect(plan.affected).toEqual([
      { id: 'a', status: 'major_outage' },
      { id: 'b', status: 'partial_outage' },
      { id: 'c', status: 'degraded_performance' },
    ]);
  });

  it('keeps the status when the update names none', () => {
    expect(planUpdate({ status: 'monitoring', components: [] }, {}).status).toBe('monitoring');
  });

  it('resolving returns affected components to operational unless the update names them', () => {
    const plan = planUpdate(
      {
        status: 'monitoring',
        components: [
          { id: 'a', status: 'major_outage' },
          { id: 'b', status: 'partial_outage' },
        ],
      },
      { status: 'resolved', components: { b: 'degraded_performance' } },
    );
    expect(plan.resolves).toBe(true);
    expect(plan.affected).toEqual([
      { id: 'a', status: 'operational' },
      { id: 'b', status: 'degraded_performance' },
    ]);
  });

  it('refuses to resolve a resolved incident, with a message that says how to go on', () => {
    expect(() => planUpdate({ status: 'resolved', components: [] }, { status: 'resolved' })).toThrow(
      StateConflictError,
    );
    expect(() => planUpdate({ status: 'resolved', components: [] }, {})).toThrow(/already resolved; reopen it/);
    expect(() => planUpdate({ status: 'postmortem', components: [] }, {})).toThrow(StateConflictError);
  });

  it('reopens a resolved incident when the update says investigating', () => {
    const plan = planUpdate({ status: 'resolved', components: [] }, { status: 'investigating' });
    expect(plan).toMatchObject({ status: 'investigating', reopens: true, resolves: false });
  });

  it("refuses status 'postmortem' on an update", () => {
    expect(() => planUpdate({ status: 'resolved', components: [] }, { status: 'postmortem' })).toThrow(/postmortem/);
  });
});

describe('postmortem and component status rules', () => {
  it('allows a postmortem only on a closed incident', () => {
    expect(() => assertCanPublishPostmortem('monitoring')).toThrow(/resolve it before/);
    expect(() => assertCanPublishPostmortem('resolved')).not.toThrow();
  });

  it('a component shows the worst of what affects it', () => {
    expect(worstStatus([])).toBe('operational');
    expect(worstStatus(['under_maintenance', 'degraded_performance'])).toBe('degraded_performance');
    expect(worstStatus(['partial_outage', 'major_outage', 'operational'])).toBe('major_outage');
    expect(worstStatus(['operational', 'under_maintenance'])).toBe('under_maintenance');
  });
});

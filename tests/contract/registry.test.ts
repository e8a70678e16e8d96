import { describe, expect, it } from 'vitest';
import * as registry from '../../src/channels/registry.js';
import { type FixtureFactory, channelContract } from './channel-contract.js';
import { contractFixtures } from './fixtures/index.js';

const registered = Object.keys(registry).sort();
const fixtures: Record<string, FixtureFactory | undefined> = contractFixtures;

describe('the contract suite covers the registry', () => {
  it('has a contract fixture for every channel src/channels/registry.ts exports, and none for others', () => {
    expect(registered.length).toBeGreaterThan(0);
    expect(registered.filter((name) => !fixtures[name])).toEqual([]);
    expect(Object.keys(fixtures).sort()).toEqual(registered);
  });
});

// Every registered channel runs the whole shared table, on its own fake.
for (const name of registered) {
  const fixture = fixtures[name];
  if (fixture) channelContract(name, fixture);
}

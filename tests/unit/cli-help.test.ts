import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { header, table } from '../../src/cli/context.js';

const walk = (command: Command, path: string[] = []): Array<{ path: string; description: string }> =>
  command.commands.flatMap((sub) => [
    { path: [...path, sub.name()].join(' '), description: sub.description() },
    ...walk(sub, [...path, sub.name()]),
  ]);

describe('herald --help', () => {
  it('describes every command and subcommand', () => {
    const commands = walk(buildProgram());
    expect(commands.map((c) => c.path)).toEqual(
      expect.arrayContaining([
        'component edit',
        'component delete',
        'maintenance add',
        'maintenance list',
        'maintenance show',
        'maintenance edit',
        'maintenance update',
        'maintenance cancel',
        'incident postmortem',
        'incident open',
        'incident update',
        'incident resolve',
      ]),
    );
    expect(commands.filter((c) => c.description.trim() === '').map((c) => c.path)).toEqual([]);
  });

  it('incident update takes --impact', () => {
    const update = buildProgram()
      .commands.find((c) => c.name() === 'incident')!
      .commands.find((c) => c.name() === 'update')!;
    expect(update.options.map((o) => o.long)).toContain('--impact');
  });

  it('table headers read as words', () => {
    expect(header('startedAt')).toBe('STARTED AT');
    expect(header('scheduled_until')).toBe('SCHEDULED UNTIL');
    expect(table([{ startedAt: 'x' }], ['startedAt'])).toBe('STARTED AT\nx');
  });
});

// The terminal output of the main `herald` commands against a running Herald, into docs/cli.md.
// Needs Redis (REDIS_URL or 127.0.0.1:6379): node --import tsx scripts/cli-transcript.ts
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TEST_TOKEN, startTestHerald } from '../tests/helpers/herald.js';
import { recordingChannel } from '../tests/helpers/recording-channel.js';

const BIN = resolve(import.meta.dirname, '../bin/herald.mjs');
const h = await startTestHerald({
  channels: ['slack', 'email', 'statuspage-mirror'].map((n) => recordingChannel(n).definition),
  workers: true,
});
const out: string[] = [
  '# The `herald` CLI, as it prints',
  '',
  'Made by `node --import tsx scripts/cli-transcript.ts` against a demo Herald; ids differ on every run.',
  'Every command also takes `--json` (one JSON document on stdout).',
  '',
];
try {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  // Asynchronous: the Herald answering the CLI runs in this very process.
  const run = async (args: string[], input?: string) => {
    const text = await new Promise<string>((done) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, HERALD_URL: url, HERALD_API_TOKEN: TEST_TOKEN } },
        (_error, stdout, stderr) => done(`${stderr}${stdout}`),
      );
      child.stdin?.end(input ?? '');
    });
    const shown = args.map((a) => (/[\s*]/.test(a) ? `'${a}'` : a)).join(' ');
    out.push('```console', `$ herald ${shown}${input ? ' <<< …' : ''}`, text.trimEnd(), '```', '');
    return text;
  };
  const id = (text: string, word: string) => new RegExp(`${word} (\\S+)`).exec(text)![1]!;
  const api = id(await run(['component', 'add', 'Public API', '--group', 'Platform']), 'component');
  await run(['component', 'add', 'Website', '--group', 'Web']);
  await run(['component', 'add', 'Public API', '--group', 'Platform']);
  const db = id(await run(['component', 'add', 'Database', '--group', 'Platform']), 'component');
  await run(['component', 'edit', db, '--name', 'Primary database', '--position', '0']);
  await run(['component', 'list']);
  const opened = await run([
    'incident',
    'open',
    '--title',
    'Elevated API errors',
    '--message',
    'We are looking into **5xx** errors.',
    '--impact',
    'major',
    '--component',
    `${api}=partial_outage`,
    '--wait',
  ]);
  const incident = /incident (\S+)/.exec(opened)?.[1] ?? '';
  await run([
    'incident',
    'update',
    incident,
    '--message',
    'Rolled back.',
    '--status',
    'monitoring',
    '--impact',
    'minor',
  ]);
  await run(['incident', 'resolve', incident, '--message', 'Fixed.']);
  await run(['incident', 'postmortem', incident, '--body-file', '-'], '# What happened\n\nA bad deploy.\n');
  await run(['incident', 'list']);
  const from = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const until = new Date(Date.now() + 90_000_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await run([
    'maintenance',
    'add',
    '--title',
    'x',
    '--message',
    'y',
    '--from',
    '2020-01-01T00:00:00Z',
    '--until',
    'soon',
    '--component',
    db,
  ]);
  const m = id(
    await run(
      [
        'maintenance',
        'add',
        '--title',
        'Database upgrade',
        '--message-file',
        '-',
        '--from',
        from,
        '--until',
        until,
        '--component',
        db,
      ],
      'Writes pause for **5 minutes**.\n',
    ),
    'maintenance',
  );
  await run(['maintenance', 'update', m, '--message', 'Backups are done.']);
  await run(['maintenance', 'list']);
  await run(['maintenance', 'show', m]);
  await run(['maintenance', 'cancel', m]);
  const t = id(
    await run(
      [
        'template',
        'add',
        'API errors',
        '--title',
        'Elevated API errors',
        '--message-file',
        '-',
        '--impact',
        'major',
        '--component',
        `${api}=partial_outage`,
      ],
      'We are investigating errors from the **Public API**.\n',
    ),
    'template',
  );
  await run(['template', 'add', 'api ERRORS', '--title', 'x', '--message', 'y']);
  await run(['template', 'edit', t, '--status', 'identified']);
  await run(['template', 'list']);
  await run(['incident', 'open', '--template', 'API errors', '--title', 'Elevated API errors in eu-west']);
  await run(['incident', 'open', '--template', 'Database down']);
  await run(['template', 'delete', t]);
  await run(['component', 'delete', api]);
  await run(['--help']);
  await run(['maintenance', '--help']);
  await run(['template', '--help']);
} finally {
  writeFileSync(resolve(import.meta.dirname, '../docs/cli.md'), out.join('\n'));
  await h.close();
}

// `npm run bench`: every benchmark in bench/, one after another, each in a process of its own, with its output
// printed as it runs. Sizes are cut where a bench would take too long so the whole run stays under ~15 minutes
// on a 2-core machine (see docs/benchmarks.md); set the bench's own variable to override any of them.
//   BENCH_ONLY=publish,load   run only these (names as below)
//   BENCH_FULL=1              the benches' own default sizes (the email-fanout memory runs take much longer)
import { spawn } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const FULL = process.env.BENCH_FULL === '1';

interface Bench {
  name: string;
  file: string;
  args?: string[];
  /** Smaller sizes for the all-in-one run; an explicitly set variable wins. */
  env?: Record<string, string>;
  /** Hard stop, so one hung bench cannot hold the run. */
  timeoutMs: number;
}

const benches: Bench[] = [
  { name: 'statuspage', file: 'bench/statuspage.ts', timeoutMs: 3 * 60_000 },
  { name: 'publish', file: 'bench/publish.ts', timeoutMs: 3 * 60_000 },
  { name: 'publish-postgres', file: 'bench/publish.ts', env: { BENCH_DB: 'postgres' }, timeoutMs: 3 * 60_000 },
  { name: 'social', file: 'bench/social.ts', timeoutMs: 3 * 60_000 },
  { name: 'chat', file: 'bench/chat.ts', timeoutMs: 3 * 60_000 },
  { name: 'alerts', file: 'bench/alerts.ts', timeoutMs: 3 * 60_000 },
  {
    name: 'email-fanout',
    file: 'bench/email-fanout.ts',
    // The memory runs default to 1,000,000 subscribers on SQLite and PostgreSQL (several minutes each):
    // the all-in-one run seeds 200,000 and watches 20,000 sends on SQLite only.
    env: FULL ? {} : { BENCH_RSS_N: '200000', BENCH_RSS_SENDS: '20000', BENCH_SKIP_PG: '1' },
    timeoutMs: 8 * 60_000,
  },
  // 20 s of load while a 50,000-recipient fan-out runs; set BENCH_RECIPIENTS / BENCH_DURATION to change.
  { name: 'load', file: 'bench/load.ts', timeoutMs: 4 * 60_000 },
];

const only = process.env.BENCH_ONLY?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const selected = only ? benches.filter((b) => only.includes(b.name)) : benches;

console.log(
  `npm run bench — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(`benches: ${selected.map((b) => b.name).join(', ')}${FULL ? ' (full sizes)' : ''}\n`);

function run(bench: Bench): Promise<{ code: number | null; seconds: number; timedOut: boolean }> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [key, value] of Object.entries(bench.env ?? {})) if (process.env[key] === undefined) env[key] = value;
  const shown = Object.entries(bench.env ?? {})
    .map(([k]) => `${k}=${env[k]}`)
    .join(' ');
  console.log(
    `\n━━━ ${bench.name}: ${shown ? `${shown} ` : ''}node --import tsx ${bench.file} ${(bench.args ?? []).join(' ')}`.trimEnd(),
  );
  const start = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bench.file, ...(bench.args ?? [])], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The bench's own group: its SMTP sink and worker children go with it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, bench.timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, seconds: (Date.now() - start) / 1000, timedOut });
    });
  });
}

const summary: Array<{ name: string; result: string; seconds: number }> = [];
const started = Date.now();
for (const bench of selected) {
  const { code, seconds, timedOut } = await run(bench);
  summary.push({
    name: bench.name,
    result: timedOut ? `stopped after ${bench.timeoutMs / 1000} s` : code === 0 ? 'ok' : `exit ${code}`,
    seconds,
  });
}

console.log(
  `\n━━━ summary (${((Date.now() - started) / 60_000).toFixed(1)} min, load average now ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})`,
);
for (const s of summary) console.log(`${s.name.padEnd(18)} ${s.result.padEnd(22)} ${s.seconds.toFixed(0)} s`);
process.exit(summary.every((s) => s.result === 'ok') ? 0 : 1);

// The load generators bench/load can drive Herald with, behind one result shape. autocannon runs in the bench's
// own process (Node); wrk is a separate C program that needs far less CPU for the same load, which leaves more
// of a small machine to Herald.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon, { type Options, type Result } from 'autocannon';

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Answers outside 2xx, as "count×status" (autocannon) or a count (wrk, which does not keep the status). */
  non2xx: string;
  errors: number;
  /** CPU the load generator itself used (ms); null when it runs in this process (see process.cpuUsage). */
  driverCpuMs: number | null;
}

export interface LoadSpec {
  base: string;
  connections: number;
  seconds: number;
  /** Requests per second in total; 0 = closed loop. wrk runs closed loop only. */
  rate: number;
}

export function fromAutocannon(r: Result): LoadResult {
  return {
    requests: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx:
      Object.entries(r.statusCodeStats)
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, { count }]) => `${count}×${code}`)
        .join(' ') || '0',
    errors: r.errors,
    driverCpuMs: null,
  };
}

export async function runAutocannon(
  spec: LoadSpec,
  options: Omit<Options, 'url' | 'connections' | 'duration'>,
): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.base,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 10,
    ...(spec.rate > 0 ? { overallRate: spec.rate } : {}),
    ...options,
  });
  return fromAutocannon(result);
}

const WRK_DIR = resolve(import.meta.dirname, 'wrk');

/** Runs `wrk` with bench/lib/wrk/<script>.lua (plus its report) and the given environment for the script. */
export async function runWrk(
  spec: LoadSpec,
  script: 'admin' | 'public',
  env: Record<string, string>,
  scratchDir: string,
): Promise<LoadResult> {
  if (spec.rate > 0)
    throw new Error(
      'wrk runs closed loop only: unset BENCH_ADMIN_RATE / BENCH_PUBLIC_RATE, or use BENCH_LOAD_TOOL=autocannon',
    );
  const combined = join(scratchDir, `wrk-${script}.lua`);
  writeFileSync(
    combined,
    `${readFileSync(join(WRK_DIR, `${script}.lua`), 'utf8')}\n${readFileSync(join(WRK_DIR, 'report.lua'), 'utf8')}`,
  );
  const args = ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--timeout', '10s', '-s', combined, spec.base];
  const output = await new Promise<string>((ok, fail) => {
    const child = spawn('wrk', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (error) =>
      fail(
        new Error(
          `wrk could not start (${error.message}); install it (apt-get install -y wrk) or use BENCH_LOAD_TOOL=autocannon`,
        ),
      ),
    );
    child.once('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`wrk exited with ${code}:\n${out}`))));
  });
  const line = output.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${output}`);
  const r = JSON.parse(line.slice('WRK_RESULT '.length)) as {
    requests: number;
    durationUs: number;
    p50: number;
    p99: number;
    max: number;
    non2xx: number;
    errors: number;
    cpuSeconds: number;
  };
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    requests: r.requests,
    rps: r.requests / (r.durationUs / 1e6),
    p50: ms(r.p50),
    p99: ms(r.p99),
    max: ms(r.max),
    non2xx: String(r.non2xx),
    errors: r.errors,
    driverCpuMs: r.cpuSeconds * 1000,
  };
}

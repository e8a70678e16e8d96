// Preload for a bench's worker process: at exit, appends one JSON line to $BENCH_PROBE_OUT with the process's CPU
// time, peak RSS and the peaks of V8's heap sampled every 250 ms. Steadier than wall time on a shared machine.
//   BENCH_PROBE_OUT=/tmp/probe.jsonl BENCH_WORKER_NODE_ARGS="--import ./bench/lib/worker-probe.mjs" \
//     node --import tsx bench/email-fanout.ts
import { appendFileSync } from 'node:fs';

const out = process.env.BENCH_PROBE_OUT;
const mb = (bytes) => Math.round(bytes / 1048576);
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
};
setInterval(sample, 250).unref();
process.on('exit', () => {
  if (!out) return;
  sample();
  const cpu = process.cpuUsage();
  appendFileSync(
    out,
    `${JSON.stringify({
      pid: process.pid,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      peakMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, mb(v)])),
    })}\n`,
  );
});

// Preload: what a Herald process carries once it has started. When the process first writes BENCH_PROBE_ON (default
// "ready", what tests/helpers/fanout-worker.ts prints; "is up" for `herald worker`) on stdout, it runs a full
// collection, prints one JSON line on stderr (RSS, V8 heap, CPU time so far, ES modules loaded, CommonJS modules
// in require.cache) and stops the process with SIGTERM. Needs --expose-gc; docs/benchmarks.md has the commands.
//   node --expose-gc --import ./bench/lib/startup-probe.mjs --import tsx tests/helpers/fanout-worker.ts
import { createRequire, register } from 'node:module';
import { MessageChannel, isMainThread } from 'node:worker_threads';

// The same file is the loader hook (it runs in the hooks thread): every ES module loaded is posted to the main thread.
let hookPort;
export function initialize(data) {
  hookPort = data.port;
}
export async function load(url, context, next) {
  hookPort?.postMessage(url);
  return next(url, context);
}

if (isMainThread) {
  const esModules = new Set();
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => esModules.add(url));
  port1.unref();
  register(import.meta.url, { data: { port: port2 }, transferList: [port2] });

  const marker = process.env.BENCH_PROBE_ON ?? 'ready';
  const write = process.stdout.write.bind(process.stdout);
  let done = false;
  process.stdout.write = (chunk, ...rest) => {
    if (!done && String(chunk).includes(marker)) {
      done = true;
      setTimeout(report, 500); // the messages of the last modules loaded arrive
    }
    return write(chunk, ...rest);
  };
  const report = () => {
    const mb = (bytes) => Math.round(bytes / 104857.6) / 10;
    const atStart = process.memoryUsage().rss;
    globalThis.gc?.();
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.stderr.write(
      `startup-probe ${JSON.stringify({
        rssMb: mb(atStart),
        rssAfterGcMb: mb(m.rss),
        heapUsedMb: mb(m.heapUsed),
        heapTotalMb: mb(m.heapTotal),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        esModules: esModules.size,
        commonJsModules: Object.keys(createRequire(import.meta.url).cache).length,
        gc: Boolean(globalThis.gc),
      })}\n`,
    );
    process.kill(process.pid, 'SIGTERM');
  };
}

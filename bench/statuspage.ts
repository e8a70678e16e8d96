// Status page build times: full build and incremental rebuild + publish after one update.
// 50 components, 1,000 past incidents, 10 active. Targets: full < 2 s, incremental < 200 ms (median).
// Run: node --import tsx bench/statuspage.ts
import { readFileSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Templates } from '../src/render/templates.js';
import { createLogger } from '../src/runtime/logger.js';
import { TEMPLATES_DIR } from '../src/app/herald.js';
import { StatusSite } from '../src/statuspage/build.js';
import { openStore } from '../src/store/store.js';
import { seedComponents, seedHistory, seedIncident, seedUpdate } from '../tests/unit/statuspage-seed.js';

const root = mkdtempSync(join(tmpdir(), 'herald-bench-sp-'));
const now = new Date();
const store = await openStore(join(root, 'herald.db'));
const components = await seedComponents(store, 50);
await seedHistory(store, components, 1000, now, 1000);
const active: string[] = [];
for (let i = 0; i < 10; i++) {
  active.push(
    await seedIncident(store, {
      title: `Active incident ${i + 1}: elevated latency`,
      impact: 'major',
      startedAt: new Date(now.getTime() - (i + 1) * 600_000).toISOString(),
      components: [{ ...components[i]!, status: 'partial_outage' }],
      messages: [
        'We are investigating **elevated latency** on the API.',
        'We identified a misbehaving cache node and are replacing it.',
      ],
    }),
  );
}

const site = new StatusSite({
  store,
  templates: new Templates(TEMPLATES_DIR),
  logger: createLogger({ level: 'silent' }),
  siteName: 'Bench',
  publicUrl: 'https://status.bench.test',
  dir: join(root, 'site'),
  options: { targets: [{ type: 'directory', path: join(root, 'mirror') }] },
});

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fullRuns: number[] = [];
for (let i = 0; i < 3; i++) {
  const r = await site.rebuild({ full: true });
  fullRuns.push(r.buildMs + r.publishMs);
  if (i === 0)
    console.log(`full build: ${r.rendered} files rendered, ${r.targets[0]!.uploaded.length} published to the mirror`);
}
const incRuns: number[] = [];
// CPU time of the whole process (every thread) per rebuild: steadier than wall time on a shared machine.
const incCpu: number[] = [];
let last;
for (let i = 0; i < 21; i++) {
  const id = active[i % active.length]!;
  // One update after a quiet moment, as the target means it: a rebuild that follows the previous one closely is
  // paced by the site (see StatusSite.rebuild).
  await site.quiet();
  await seedUpdate(
    store,
    id,
    `Update ${i}: replacement node is warming up.`,
    new Date(Date.now() + i * 1000).toISOString(),
  );
  const t = performance.now();
  const cpu = process.cpuUsage();
  last = await site.rebuild({ incidentIds: [id] });
  incRuns.push(performance.now() - t);
  const used = process.cpuUsage(cpu);
  incCpu.push((used.user + used.system) / 1000);
}

const size = (p: string) => statSync(join(root, 'site', p)).size;
const index = readFileSync(join(root, 'site', 'index.html'), 'utf8');
const css = /href="([^"]+\.css)"/.exec(index)![1]!;
console.log(
  `full build + publish:        median ${median(fullRuns).toFixed(0)} ms (runs: ${fullRuns.map((x) => x.toFixed(0)).join(', ')})  target < 2000 ms`,
);
console.log(
  `incremental rebuild+publish: median ${median(incRuns).toFixed(1)} ms, p90 ${incRuns
    .slice()
    .sort((a, b) => a - b)
    [Math.floor(incRuns.length * 0.9)]!.toFixed(1)} ms (${incRuns.length} runs)  target < 200 ms`,
);
console.log(`incremental rebuild+publish: CPU median ${median(incCpu).toFixed(1)} ms (all threads of the process)`);
console.log(
  `incremental: ${last!.rendered} files rendered, ${last!.changed.length} changed, ${last!.targets[0]!.uploaded.length} published`,
);
console.log(
  `page weights: index.html ${size('index.html')} B + ${css} ${size(css)} B = ${((size('index.html') + size(css)) / 1024).toFixed(1)} KB; ` +
    `incident page ${size(`incidents/${active[0]}.html`)} B; summary.json ${size('api/v2/summary.json')} B; incidents.json ${size('api/v2/incidents.json')} B; history.rss ${size('history.rss')} B`,
);
await store.close();
rmSync(root, { recursive: true, force: true });

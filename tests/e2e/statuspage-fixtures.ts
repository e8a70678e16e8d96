// A status site with 50 components, 20 active incidents, history, maintenance and an XSS corpus in every
// user-supplied field, served by the real routes plugin on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Templates } from '../../src/render/templates.js';
import { createLogger } from '../../src/runtime/logger.js';
import { TEMPLATES_DIR } from '../../src/app/herald.js';
import { StatusSite } from '../../src/statuspage/build.js';
import { statusPageRoutes } from '../../src/statuspage/routes.js';
import { openStore, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/env.js';
import { seedComponents, seedHistory, seedIncident, seedMaintenance } from '../unit/statuspage-seed.js';

export const XSS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '[click](javascript:alert(3))',
  '<a href="javascript:alert(4)">x</a>',
  '</title><script>alert(5)</script>',
  '"><svg onload=alert(6)>',
  "' onmouseover='alert(7)' x='",
  '<iframe src="javascript:alert(8)"></iframe>',
  '<div style="background:url(javascript:alert(9))">styled',
  '<p>broken <b>html <i>never closed',
  '<details open ontoggle=alert(11)>',
  '[x](JaVaScRiPt:alert(12))',
  '<a href="&#106;avascript:alert(13)">y</a>',
  '<form action="javascript:alert(14)"><button>z</button></form>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(16)">',
  '<base href="https://evil.test/">',
  '<svg><script>alert(17)</script></svg>',
  '<object data="javascript:alert(18)"></object>',
  '{{constructor.constructor("alert(19)")()}}',
  '<a href="java\tscript:alert(20)">tab</a>',
];

export const NOW = new Date('2026-05-20T12:00:00Z');

export interface Fixture {
  store: Store;
  site: StatusSite;
  dir: string;
  baseUrl: string;
  incidentIds: string[];
  xssIncidentIds: string[];
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const root = tempDir('herald-sp-e2e-');
  const store = await openStore(join(root, 'herald.db'));
  const external = await externalSummaryServer();
  const components = await seedComponents(store, 50, {
    names: (i) => (i < XSS.length ? `C${i} ${XSS[i]}` : `Service ${i + 1}`),
  });
  await store.db.updateTable('components').set({ group_name: XSS[5]! }).where('id', '=', components[49]!.id).execute();
  await seedHistory(store, components, 120, NOW, 200);
  const incidentIds: string[] = [];
  const xssIncidentIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const payload = XSS[i % XSS.length]!;
    const id = await seedIncident(store, {
      title: i < 10 ? `Incident ${i} ${payload}` : `Slow responses on service ${i}`,
      impact: (['minor', 'major', 'critical'] as const)[i % 3],
      startedAt: new Date(NOW.getTime() - (i + 1) * 600_000).toISOString(),
      components: [
        { ...components[i]!, status: (['degraded_performance', 'partial_outage', 'major_outage'] as const)[i % 3]! },
      ],
      messages: [
        `We are investigating ${payload}`,
        `Update: ${XSS[(i + 7) % XSS.length]} and a [safe link](https://example.com/help).`,
      ],
    });
    incidentIds.push(id);
    if (i < 10) xssIncidentIds.push(id);
  }
  xssIncidentIds.push(
    await seedIncident(store, {
      title: 'Postmortem published',
      startedAt: '2026-05-10T10:00:00.000Z',
      resolvedAt: '2026-05-10T12:00:00.000Z',
      status: 'postmortem',
      components: [{ ...components[2]!, status: 'major_outage' }],
      postmortem: XSS.join('\n\n'),
      messages: ['Investigating', 'Resolved'],
    }),
  );
  await seedMaintenance(store, {
    title: `Maintenance ${XSS[0]}`,
    message: XSS[1]!,
    status: 'scheduled',
    scheduledFor: '2026-05-25T00:00:00.000Z',
    scheduledUntil: '2026-05-25T02:00:00.000Z',
    components: [components[3]!.id],
  });
  const dir = join(root, 'site');
  const site = new StatusSite({
    store,
    templates: new Templates(TEMPLATES_DIR),
    logger: createLogger({ level: 'silent' }),
    siteName: `Acme ${XSS[4]}`,
    publicUrl: 'https://status.acme.test',
    dir,
    signupKinds: () => ['email', 'sms'],
    options: {
      now: () => NOW,
      externalGroups: [
        {
          name: 'Cloud provider',
          url: 'https://status.cloud.example',
          summaryUrl: `${external.url}/api/v2/summary.json`,
          components: ['Compute', `Storage ${XSS[6]}`],
        },
        { name: 'Payments partner', url: 'https://status.payments.example' },
      ],
    },
  });
  await site.rebuild({ full: true });
  const app: FastifyInstance = Fastify();
  await statusPageRoutes(app, { dir });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    store,
    site,
    dir,
    baseUrl,
    incidentIds,
    xssIncidentIds,
    async close() {
      await app.close();
      await new Promise((r) => external.server.close(r));
      await store.close();
    },
  };
}

/** Another company's Statuspage-compatible summary.json, for the linked external group. */
async function externalSummaryServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        components: [
          { id: 'a', name: 'Compute', status: 'degraded_performance', group: false },
          { id: 'b', name: `Storage ${XSS[6]}`, status: 'operational', group: false },
          { id: 'c', name: 'DNS', status: 'operational', group: false },
        ],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

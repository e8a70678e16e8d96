import type { FastifyInstance } from 'fastify';
import type { HeraldEnv } from '../../config/env.js';
import { isShortCode } from '../../domain/short-links.js';
import { incidentUrl } from '../../pipeline/context.js';
import { findIncidentIdByShortCode } from '../../store/incidents-repo.js';
import type { Store } from '../../store/store.js';

/** What the short-link route uses of a running Herald. */
export interface ShortLinkDeps {
  store: Pick<Store, 'db'>;
  env: Pick<HeraldEnv, 'publicUrl'>;
}

/** `GET /i/<code>`: the short incident link SMS carries, answered with a redirect to the incident's page. */
export async function shortLinkRoutes(app: FastifyInstance, { herald }: { herald: ShortLinkDeps }) {
  app.get<{ Params: { code: string } }>('/i/:code', async (request, reply) => {
    const { code } = request.params;
    const id = isShortCode(code) ? await findIncidentIdByShortCode(herald.store.db, code) : undefined;
    if (!id)
      return reply
        .status(404)
        .send({ error: 'not_found', message: `no incident has the short link code '${code.slice(0, 64)}'` });
    return reply.header('cache-control', 'public, max-age=300').redirect(incidentUrl(herald.env.publicUrl, id), 302);
  });
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from './console-context.js';

const TYPES: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** The console's one script and one stylesheet, read once at start. */
export function assetsRoutes(app: FastifyInstance, ctx: ConsoleContext) {
  const files = new Map(Object.keys(TYPES).map((name) => [name, readFileSync(join(ctx.views.dir, 'assets', name))]));
  app.get<{ Params: { name: string } }>('/assets/:name', { config: { public: true } }, async (request, reply) => {
    const body = files.get(request.params.name);
    if (!body) return reply.status(404).type('text/plain; charset=utf-8').send('no such asset');
    return reply.header('cache-control', 'public, max-age=300').type(TYPES[request.params.name]!).send(body);
  });
}

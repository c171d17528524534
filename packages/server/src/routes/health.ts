/** GET /api/health: 200 when the database and the object store both answer, else 503 naming which. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api } from '../http/route.js';
import type { Services } from '../context.js';
import { within } from '../http/within.js';

export function healthRoutes(app: FastifyInstance, s: Services): void {
  api(app).get(
    '/api/health',
    {
      config: { access: 'public' },
      schema: {
        response: {
          200: z.object({ status: z.literal('ok'), database: z.string(), storage: z.string() }),
          503: z.object({ status: z.literal('unavailable'), database: z.string(), storage: z.string() }),
        },
      },
    },
    async (_req, reply) => {
      const check = (p: Promise<void>) => p.then(() => 'ok', () => 'not answering');
      const [database, storage] = await Promise.all([check(withTimeout(s.dbh.ping())), check(withTimeout(s.store.ping()))]);
      const ok = database === 'ok' && storage === 'ok';
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', database, storage } as never);
    },
  );
}

/** A part that neither answers nor fails within 3 s counts as not answering. */
const withTimeout = (p: Promise<void>): Promise<void> =>
  within(p, 3000, () => {
    throw new Error('timeout');
  });

/**
 * Serves the browser app (packages/web, built by Vite) at /: its files as they are, and
 * index.html for any other GET outside /api so that a reload of /cases/<id> works. The
 * hashed assets are cached for a year; index.html never, so a new build is seen at once.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The built app's folder: SCAN2PRINT_WEB_DIR, else the @scan2print/web package's dist. */
export function webAppDir(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.SCAN2PRINT_WEB_DIR) return env.SCAN2PRINT_WEB_DIR;
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@scan2print/web/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

export async function registerWebApp(app: FastifyInstance, dir: string | undefined): Promise<(req: FastifyRequest, reply: FastifyReply) => boolean> {
  const built = dir !== undefined && existsSync(join(dir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      wildcard: false,
      index: false,
      setHeaders(res, path) {
        res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  /** The not-found handler's first step: the app's page for a browser's GET outside /api. */
  return (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (req.url.startsWith('/api/') || req.url === '/api') return false;
    if (!built) {
      void reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(`the web app is not built (${dir ?? '@scan2print/web not installed'}): run \`npm run build\`; the API is at /api/docs`);
      return true;
    }
    void reply.header('cache-control', 'no-cache').sendFile('index.html', dir!);
    return true;
  };
}

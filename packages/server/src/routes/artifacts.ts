/** Results of finished jobs: listed only once their job succeeded (rows are added with the success). */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import { HttpError } from '../http/errors.js';
import type { Services } from '../context.js';
import { artifactOf, caseOf } from './scope.js';
import { appendAudit } from '../audit/index.js';

const Id = z.object({ id: z.uuid() });

export function artifactRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.get('/api/cases/:id/artifacts', { config: { access: 'any', scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const rows = await db.selectFrom('artifacts').selectAll().where('case_id', '=', c.id).orderBy('created_at').orderBy('name').execute();
    return rows.map((a) => ({ id: a.id, jobId: a.job_id, kind: a.kind, name: a.name, mediaType: a.media_type, sha256: a.sha256, bytes: a.bytes }));
  });

  r.get('/api/artifacts/:id', { config: { access: 'any', scopedBy: 'artifact' }, schema: { params: Id } }, async (req, reply) => {
    const a = await artifactOf(db, caller(req), req.params.id);
    let body;
    try {
      body = await s.store.stream(a.object_key);
    } catch (e) {
      const err = e as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
      const missing = err.code === 'ENOENT' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
      if (!missing) throw e;
      // Listed but gone from the store: data loss an operator must see; the client gets a clear 404.
      req.log.error({ artifact: a.id, key: a.object_key }, 'artifact listed but missing from the object store');
      throw new HttpError(404, 'ARTIFACT_MISSING', `the bytes of artifact ${a.id} are missing from the store; ask an administrator`);
    }
    await appendAudit(s, db, { action: 'download', actor: caller(req), orgId: a.org_id, caseId: a.case_id, details: { artifactId: a.id, jobId: a.job_id, name: a.name, sha256: a.sha256 } });
    return reply
      .header('content-type', a.media_type)
      .header('content-length', String(a.bytes))
      .header('content-disposition', `attachment; filename="${a.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
      .header('x-checksum-sha256', a.sha256)
      .send(body);
  });

}

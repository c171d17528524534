/** Model versions of a case: every job that makes a model (convert, mesh), oldest first, numbered from 1. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import type { Services } from '../context.js';
import { MODEL_JOB_KINDS } from '../db/schema.js';
import { caseOf } from './scope.js';

export function versionRoutes(app: FastifyInstance, s: Services): void {
  const { db } = s;
  api(app).get('/api/cases/:id/versions', { config: { access: 'any', scopedBy: 'case' }, schema: { params: z.object({ id: z.uuid() }) } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const jobs = await db
      .selectFrom('jobs')
      .innerJoin('users', 'users.id', 'jobs.created_by')
      .select(['jobs.id', 'jobs.kind', 'jobs.state', 'jobs.created_at', 'jobs.created_by', 'users.email'])
      .where('jobs.case_id', '=', c.id)
      .where('jobs.kind', 'in', MODEL_JOB_KINDS)
      .orderBy('jobs.created_at')
      .orderBy('jobs.seq')
      .execute();
    const arts = await db
      .selectFrom('artifacts')
      .select(['id', 'job_id', 'kind', 'name', 'bytes', 'sha256'])
      .where('case_id', '=', c.id)
      .orderBy('name')
      .execute();
    return jobs.map((j, i) => ({
      version: i + 1,
      jobId: j.id,
      kind: j.kind,
      createdAt: new Date(j.created_at).toISOString(),
      createdBy: { id: j.created_by, email: j.email },
      state: j.state,
      artifacts: arts.filter((a) => a.job_id === j.id).map((a) => ({ id: a.id, kind: a.kind, name: a.name, bytes: Number(a.bytes), sha256: a.sha256 })),
    }));
  });
}

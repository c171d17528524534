/**
 * Model codes (issue 11, QR hard link): `GET /api/q/:code` resolves the code printed on a
 * model's label to its case, the model's SHA-256 and the signed audit entry that issued it;
 * the label itself as SVG (millimetres) and PNG. A code of another organisation is a 404,
 * as if it did not exist (scope 'code', checked before anything else).
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import { HttpError, notFound } from '../http/errors.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import { auditEntries } from '../audit/index.js';
import { normaliseCode } from '../codes/issue.js';
import { codeOfVersion, codeOwner, labelInputOf, originOf } from '../codes/lookup.js';
import { labelPng, labelSvg } from '../codes/label.js';
import { caseOf } from './scope.js';

const Version = z.object({ id: z.uuid(), jobId: z.uuid() });

export function codeRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.get(
    '/api/q/:id',
    {
      config: { access: 'any', scopedBy: 'code', ownerOf: (id) => codeOwner(db, id) },
      schema: { params: z.object({ id: z.string().max(64) }), description: 'Resolves a model code (the :id is the code on the label, e.g. 7K3M9QXZ; case and hyphens do not matter).' },
    },
    async (req) => {
      const p = caller(req);
      const code = normaliseCode(req.params.id);
      const row = code ? await db.selectFrom('model_codes').selectAll().where('code', '=', code).where('org_id', '=', orgOf(p)).executeTakeFirst() : undefined;
      if (!row) throw notFound('code');
      const c = await caseOf(db, p, row.case_id);
      // The artifact whose bytes the code vouches for (a 3MF first).
      const model = await db
        .selectFrom('artifacts')
        .select(['id', 'name', 'sha256', 'bytes'])
        .where('job_id', '=', row.job_id)
        .where('sha256', '=', row.sha256)
        .orderBy('name')
        .executeTakeFirst();
      if (!model) throw new HttpError(409, 'MODEL_CHANGED', `no artifact of model version ${row.job_id} has the SHA-256 code ${row.code} was issued for; ask an administrator to check the audit log`);
      const [entry] = await auditEntries(db, { afterSeq: row.audit_seq - 1, limit: 1 });
      if (!entry || entry.seq !== row.audit_seq) throw new HttpError(409, 'AUDIT_MISSING', `audit entry ${row.audit_seq} of code ${row.code} is missing; ask an administrator to verify the audit log`);
      const approval = await db
        .selectFrom('reviews')
        .innerJoin('users', 'users.id', 'reviews.user_id')
        .select(['users.id', 'users.email', 'reviews.created_at'])
        .where('reviews.job_id', '=', row.job_id)
        .where('reviews.decision', '=', 'approve')
        .orderBy('reviews.created_at', 'desc')
        .orderBy('reviews.seq', 'desc')
        .executeTakeFirst();
      const approvedBy = approval
        ? { id: approval.id, email: approval.email, at: new Date(approval.created_at).toISOString() }
        : entry.actor
          ? { id: entry.actor.id, email: entry.actor.email, at: entry.at }
          : undefined;
      const labels = `/api/cases/${c.id}/versions/${row.job_id}/label`;
      return {
        code: row.code,
        caseId: c.id,
        case: { id: c.id, anatomy: c.anatomy, purpose: c.purpose, status: c.status },
        modelVersionId: row.job_id,
        model: { artifactId: model.id, name: model.name, sha256: row.sha256, bytes: Number(model.bytes) },
        issuedAt: new Date(row.created_at).toISOString(),
        ...(approvedBy ? { approvedBy } : {}),
        auditEntry: entry,
        labels: { svg: `${labels}.svg`, png: `${labels}.png` },
      };
    },
  );

  for (const ext of ['svg', 'png'] as const) {
    r.get(`/api/cases/:id/versions/:jobId/label.${ext}`, { config: { access: 'any', scopedBy: 'case' }, schema: { params: Version } }, async (req, reply) => {
      const c = await caseOf(db, caller(req), req.params.id);
      const row = await codeOfVersion(db, c.id, req.params.jobId);
      const input = labelInputOf(originOf(req), row);
      return reply
        .header('content-type', ext === 'svg' ? 'image/svg+xml; charset=utf-8' : 'image/png')
        .header('content-disposition', `attachment; filename="${row.code}.${ext}"`)
        .send(ext === 'svg' ? labelSvg(input) : labelPng(input));
    });
  }
}

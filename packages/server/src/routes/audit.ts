/**
 * The audit log (issue 11): its entries, and its verification with the server's keys.
 * org-admin: their organisation's entries (and cases); admin: every entry. Verification
 * runs over the whole installation's chain (or one case's links): a break anywhere is the
 * organisation's concern too, and the answer names only a seq and a fault, never content.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { verifyAuditChain } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { notFound } from '../http/errors.js';
import type { Services } from '../context.js';
import type { Principal } from '../auth/principal.js';
import { auditEntries, auditKeys, nodeVerify } from '../audit/index.js';
import { checkTail } from '../audit/tail.js';

const MAX_LIMIT = 10_000;

/** The case must be the caller's organisation's (the admin sees every case): else 404. */
async function checkCase(s: Services, p: Principal, caseId: string): Promise<void> {
  let q = s.db.selectFrom('cases').select('id').where('id', '=', caseId);
  if (p.role !== 'admin') q = q.where('org_id', '=', p.orgId);
  if (!(await q.executeTakeFirst())) throw notFound('case');
}

export function auditRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);

  r.get(
    '/api/audit',
    {
      config: { access: ['admin', 'org-admin'] },
      schema: {
        querystring: z
          .object({
            caseId: z.uuid().optional(),
            afterSeq: z.coerce.number().int().min(0).optional(),
            limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
          })
          .strict(),
      },
    },
    async (req) => {
      const p = caller(req);
      const q = req.query;
      if (q.caseId) await checkCase(s, p, q.caseId);
      const entries = await auditEntries(s.db, {
        ...(q.caseId ? { caseId: q.caseId } : {}),
        ...(p.role === 'admin' ? {} : { orgId: p.orgId ?? '' }),
        ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
        limit: q.limit ?? 1000,
      });
      return { entries };
    },
  );

  r.get(
    '/api/audit/verify',
    { config: { access: ['admin', 'org-admin'] }, schema: { querystring: z.object({ caseId: z.uuid().optional() }).strict() } },
    async (req) => {
      const p = caller(req);
      const caseId = req.query.caseId;
      if (caseId) await checkCase(s, p, caseId);
      const keys = auditKeys(s);
      // The case's own rows only: its chain is its casePrevHash links.
      const entries = await auditEntries(s.db, caseId ? { caseId } : {});
      const chain = verifyAuditChain(entries, keys, { verifySignature: nodeVerify, ...(caseId ? { scope: { caseId } } : {}) });
      return { ...(await checkTail(s.db, entries, chain, caseId)), keys };
    },
  );
}

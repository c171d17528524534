/**
 * `GET /api/cases/:id/bundle`: the case as one zip (models, reports, labels, its audit
 * entries and the keys that verify them offline: `scan2print audit verify --bundle`).
 * The export itself is audited ('bundle-exported', with the zip's SHA-256) after the zip
 * is built, so the bundle's entries end just before it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import type { Services } from '../context.js';
import { appendAudit } from '../audit/index.js';
import { buildBundleOfCase } from '../codes/case-bundle.js';
import { originOf } from '../codes/lookup.js';
import { caseShortId } from '../codes/label.js';
import { caseOf } from './scope.js';

export function bundleRoutes(app: FastifyInstance, s: Services): void {
  const { db } = s;
  api(app).get('/api/cases/:id/bundle', { config: { access: 'any', scopedBy: 'case' }, schema: { params: z.object({ id: z.uuid() }) } }, async (req, reply) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const b = await buildBundleOfCase(s, c.id, originOf(req), new Date().toISOString());
    const sha256 = createHash('sha256').update(b.zip).digest('hex');
    await appendAudit(s, db, {
      action: 'bundle-exported',
      actor: p,
      orgId: c.org_id,
      caseId: c.id,
      details: { sha256, bytes: b.zip.length, files: b.files, entries: b.entries.length, lastSeq: b.entries.at(-1)?.seq ?? null },
    });
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="case-${caseShortId(c.id)}.zip"`)
      .header('x-checksum-sha256', sha256)
      .send(Buffer.from(b.zip.buffer, b.zip.byteOffset, b.zip.byteLength));
  });
}

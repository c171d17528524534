/**
 * Rebuild from an edited label map: POST /api/cases/:id/labels?baseJob=<jobId>, the body the
 * NIfTI bytes (.nii or .nii.gz). The label map must be on the base job's grid (that of its
 * labels.nii.gz, and so of its volume.nii.gz): anything else is a 400 naming what differs.
 * It is stored as sent and a `mesh` job is queued (jobs/mesh-job.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Gunzip } from 'fflate';
import type { FastifyInstance } from 'fastify';
import { gridMismatch, isScanError, readNiftiLabels, type LabelMap } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { Services } from '../context.js';
import { enqueue } from '../jobs/queue.js';
import type { MeshJobParams } from '../jobs/mesh-job.js';
import { caseOf } from './scope.js';
import { refuseClosedCase } from '../workflow/closed.js';
import { modelJob } from './reviews.js';
import { caseChanged } from './events.js';
import { appendAudit } from '../audit/index.js';

const EDITORS = ['engineer', 'org-admin'] as const;
export const MAX_LABELS_BYTES = 256 * 1024 * 1024;
const TYPES = ['application/octet-stream', 'application/gzip', 'application/x-gzip'];

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** gunzip that stops once the output passes `cap` bytes (a small body must not inflate to gigabytes first). */
export function gunzipCapped(bytes: Uint8Array, cap: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let n = 0;
  const g = new Gunzip((chunk) => {
    n += chunk.length;
    if (n > cap) throw badRequest('LABELS_TOO_LARGE', `the label map unpacks to more than ${cap} bytes: larger than the base job's grid needs`);
    chunks.push(chunk);
  });
  // Small input steps bound what one step can inflate to (deflate expands at most ~1032×).
  const STEP = 16 * 1024;
  for (let i = 0; i < bytes.length; i += STEP) g.push(bytes.subarray(i, i + STEP), i + STEP >= bytes.length);
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The NIfTI label map, or a 400 saying what is wrong with it. */
function readLabels(bytes: Uint8Array, cap: number): LabelMap {
  try {
    return readNiftiLabels(isGzip(bytes) ? gunzipCapped(bytes, cap) : bytes, 'the label map');
  } catch (e) {
    if (e instanceof HttpError) throw e;
    if (isScanError(e)) throw badRequest(e.code, e.message);
    throw badRequest('BAD_NIFTI', `the body is not a readable NIfTI label map: ${(e as Error).message}`);
  }
}

export function labelRoutes(app: FastifyInstance, s: Services, poke: () => void): void {
  const { db } = s;
  // Raw bytes only on this route: other routes keep refusing octet-stream bodies with 415.
  void app.register(async (sub) => {
    sub.addContentTypeParser(TYPES, { parseAs: 'buffer', bodyLimit: MAX_LABELS_BYTES }, (_req, body, done) => done(null, body));
    api(sub).post(
      '/api/cases/:id/labels',
      {
        bodyLimit: MAX_LABELS_BYTES,
        config: { access: EDITORS, scopedBy: 'case' },
        schema: { params: z.object({ id: z.uuid() }), querystring: z.object({ baseJob: z.uuid().optional() }) },
      },
      async (req, reply) => {
        const p = caller(req);
        const c = await caseOf(db, p, req.params.id);
        refuseClosedCase(c);
        const body = req.body;
        if (!(body instanceof Uint8Array)) {
          throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the label map as NIfTI bytes (.nii or .nii.gz) with content-type ${TYPES.slice(0, 2).join(' or ')}`);
        }
        const baseJobId = await modelJob(db, c.id, req.query.baseJob);
        const base = await db.selectFrom('artifacts').select('object_key').where('job_id', '=', baseJobId).where('kind', '=', 'labels').executeTakeFirst();
        if (!base) throw new HttpError(409, 'NO_LABELS', `job ${baseJobId} has no label map to edit`);
        const want = readNiftiLabels(await s.store.get(base.object_key), 'labels.nii.gz').grid;
        // Header, extensions and up to 8 bytes a voxel: anything larger is not this grid.
        const cap = 1024 * 1024 + want.dims[0] * want.dims[1] * want.dims[2] * 8;
        const edited = readLabels(body, cap);
        const mismatch = gridMismatch(edited.grid, want);
        if (mismatch) throw badRequest('LABELS_GRID', `the label map is not on the grid of job ${baseJobId}'s labels.nii.gz: ${mismatch}`);
        if (!edited.data.some((v) => v !== 0)) throw badRequest('EMPTY_LABELS', 'the label map has no labelled voxel: there is nothing to mesh');
        const key = `cases/${c.id}/labels/${randomUUID()}${isGzip(body) ? '.nii.gz' : '.nii'}`;
        await s.store.put(key, body);
        const params: MeshJobParams = { baseJobId, labels: key };
        // Refused after all (the case was approved meanwhile): the stored map goes with the request.
        const { id } = await enqueue(db, { orgId: c.org_id, caseId: c.id, kind: 'mesh', params, createdBy: p.userId }).catch(async (e: unknown) => {
          await s.store.deletePrefix(key).catch(() => {});
          throw e;
        });
        await appendAudit(s, db, { action: 'labels-edited', actor: p, orgId: c.org_id, caseId: c.id, details: { jobId: id, baseJobId, sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length } });
        poke();
        caseChanged(db, c.org_id);
        return reply.code(201).send({ jobId: id });
      },
    );
  });
}

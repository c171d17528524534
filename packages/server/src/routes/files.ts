/** POST /api/cases/:id/files: multipart DICOM files and/or zips, checked, then stored (ingest/). */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import { multipartLimit } from '../config.js';
import { HttpError } from '../http/errors.js';
import type { Services } from '../context.js';
import { caseOf } from './scope.js';
import { refuseClosedCase } from '../workflow/closed.js';
import { unpack, unpackLimits, type UploadedFile } from '../ingest/unpack.js';
import { ingest } from '../ingest/store-files.js';
import { filesStored } from '../workflow/auto.js';

const Id = z.object({ id: z.uuid() });
export const UPLOADERS = ['org-admin', 'requester', 'engineer', 'technician'] as const;

export function fileRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  r.post('/api/cases/:id/files', { config: { access: UPLOADERS, scopedBy: 'case' }, schema: { params: Id } }, async (req, reply) => {
    const c = await caseOf(s.db, caller(req), req.params.id);
    refuseClosedCase(c);
    if (!req.isMultipart()) throw new HttpError(415, 'NOT_MULTIPART', 'send the files as multipart/form-data (one part per file or zip)');
    const files: UploadedFile[] = [];
    let total = 0;
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      const bytes = await part.toBuffer();
      if (part.file.truncated) throw new HttpError(413, 'TOO_LARGE', `${part.filename}: larger than ${multipartLimit(s.config)} bytes; use the resumable upload (/api/uploads)`);
      total += bytes.length;
      if (total > multipartLimit(s.config)) {
        throw new HttpError(413, 'TOO_LARGE', `the request holds more than ${multipartLimit(s.config)} bytes; use the resumable upload (/api/uploads)`);
      }
      files.push(
        ...unpack(
          { name: part.filename || part.fieldname, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
          unpackLimits(s.config),
        ),
      );
    }
    const result = await ingest(s, c, files, caller(req).userId);
    await filesStored(s, c, req.log); // workflow: submitted → uploaded (never throws)
    return reply.code(201).send(result);
  });
}

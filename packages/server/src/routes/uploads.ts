/**
 * Resumable uploads (tus 1.0.0, @tus/server) at /api/uploads for series of hundreds of MB.
 * `POST /api/uploads` with `Upload-Metadata: caseId <b64>, filename <b64>` creates one;
 * `PATCH /api/uploads/:id` appends at `Upload-Offset`; `HEAD` tells a client that stopped
 * where to continue. The final PATCH runs the same gate as `POST /api/cases/:id/files`
 * (finish-upload.ts) and answers with its result (200) or its refusal (422 IDENTIFIABLE,
 * 422 NOT_DICOM, 413 ZIP_LIMIT, …); `GET /api/uploads/:id/result` repeats it. When the
 * database or store was down (503) the bytes are held and `POST /api/uploads/:id/ingest`
 * tries again.
 *
 * Authentication, scope and roles are the API's own (the onRequest and preValidation
 * hooks run before tus sees the request; cookie sessions need X-CSRF-Token on POST, PATCH
 * and DELETE); an upload belongs to its case's organisation, and another organisation's
 * case or upload is a 404. Staging stays on this node's disk, sealed
 * (staging-store.ts), in the S3 mode too: unchecked bytes must not reach the object store,
 * and the keys live in this process, so a load balancer must send one upload's requests to
 * one API node (tus's own lock is in memory as well).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Server as TusServer } from '@tus/server';
import { Metadata } from '@tus/utils';
import { api, caller } from '../http/route.js';
import { HttpError, notFound, errorForLog } from '../http/errors.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import { caseOf } from './scope.js';
import { refuseClosedCase } from '../workflow/closed.js';
import { UPLOADERS } from './files.js';
import { UploadRegistry, type StagedUpload } from '../uploads/registry.js';
import { SealedFileStore, stagingDir } from '../uploads/staging-store.js';
import { finishUpload } from '../uploads/finish-upload.js';

const PATH = '/api/uploads';
/** Unfinished uploads one user may have at once (active within the last hour). */
const MAX_OPEN_PER_USER = 32;
const UploadId = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'an upload id (32 hex digits)') });

/** A client's file name, for messages only: one line, no control characters, bounded. */
function cleanName(name: string | null | undefined): string {
  const n = (name ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '').trim().slice(0, 255);
  return n || 'upload';
}

/** Error codes for the statuses tus answers with (its texts become the messages). */
const TUS_CODES: Record<number, string> = { 400: 'BAD_TUS_REQUEST', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'OFFSET_CONFLICT', 410: 'GONE', 412: 'TUS_VERSION', 413: 'TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 460: 'CHECKSUM_MISMATCH' };

export function uploadRoutes(app: FastifyInstance, s: Services): void {
  // A child context: the raw-body parser for tus's content type applies to these routes only.
  void app.register(async (sub) => {
    const registry = new UploadRegistry();
    const staging = new SealedFileStore(await stagingDir(join(s.config.dataDir, 'uploads'), randomUUID()), registry);
    /** The id a POST was given before tus runs (tus asks for it through namingFunction). */
    const newIds = new WeakMap<object, string>();
    const rawOf = (req: { runtime?: { node?: { req: object } } }): object | undefined => req.runtime?.node?.req;

    const tus = new TusServer({
      path: PATH,
      datastore: staging,
      maxSize: s.config.maxUploadBytes,
      relativeLocation: true,
      // Same-origin web app and scripts: no cross-origin uploads (tus would answer `*`).
      allowedOrigins: [],
      namingFunction: (req) => {
        const raw = rawOf(req);
        const id = raw && newIds.get(raw);
        if (!id) throw { status_code: 500, body: 'upload not prepared\n' };
        return id;
      },
      // tus's own refusals (a missing header, an offset conflict, too large) in the API's error
      // format, as every other answer: {error: {code, message}}, the message being tus's text.
      onResponseError: (_req, err) => {
        const e = err as { status_code?: number; body?: string; message?: string };
        const status = e.status_code ?? 500;
        const message = (e.body ?? e.message ?? 'upload failed').trim();
        return { status_code: status, body: JSON.stringify({ error: { code: TUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message } }) };
      },
      onUploadCreate: async (_req, upload) => {
        const u = registry.get(upload.id);
        if (u) u.size = upload.size;
        return {};
      },
      onUploadFinish: async (req, upload) => {
        const u = registry.get(upload.id);
        if (!u) throw { status_code: 404, body: 'upload not found\n' };
        u.size = upload.size;
        const outcome = await finishUpload(s, staging, u, sub.log);
        return {
          // A POST that carried the whole upload created something: 201, as tus expects of a POST.
          status_code: outcome.status === 200 && req.method === 'POST' ? 201 : outcome.status,
          body: JSON.stringify(outcome.body),
          headers: { 'Content-Type': 'application/json; charset=utf-8', Location: `${PATH}/${u.id}` },
        };
      },
    });

    const sweep = setInterval(() => {
      for (const e of registry.expire()) void staging.discard(e.id).catch(() => {});
    }, 10 * 60_000);
    sweep.unref();
    sub.addHook('onClose', async () => {
      clearInterval(sweep);
      await rm(staging.dir, { recursive: true, force: true });
    });

    // tus reads the body itself, from the raw request.
    sub.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));

    async function handOver(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      reply.hijack();
      try {
        await tus.handle(req.raw, reply.raw);
      } catch (e) {
        req.log.error({ err: errorForLog(e) }, 'tus handler failed');
        if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error (logged)' } }));
      }
    }

    /** Whose an upload is, for the API's scope check (http/route.ts enforceScope): another organisation's is a 404. */
    const ownerOf = (id: string) => registry.get(id)?.orgId;

    /** The caller's organisation's upload, or 404 (the handler's own second wall). */
    function ownUpload(req: FastifyRequest, id: string): StagedUpload {
      const u = registry.get(id);
      if (!u || u.orgId !== orgOf(caller(req))) throw notFound('upload');
      return u;
    }

    const r = api(sub);

    r.route({
      method: 'OPTIONS',
      url: PATH,
      config: { access: 'public' },
      schema: { summary: 'tus capabilities (Tus-Version, Tus-Extension, Tus-Max-Size)', tags: ['uploads'] },
      handler: (req, reply) => handOver(req, reply),
    });

    const create = {
      summary: 'Create a resumable upload (tus 1.0.0 creation, creation-with-upload, creation-defer-length)',
      description:
        'Headers: Tus-Resumable: 1.0.0; Upload-Length (bytes, at most the configured upload limit, else 413); ' +
        'Upload-Metadata: caseId <base64 of the case id>, filename <base64 of the file name>. 201 with Location: /api/uploads/<id>. ' +
        'A DICOM file or a zip of them; another organisation\'s case is a 404.',
      tags: ['uploads'],
    };
    r.post(PATH, { config: { access: UPLOADERS }, schema: create }, async (req, reply) => {
      const p = caller(req);
      let meta: Record<string, string | null>;
      try {
        // An HTTP list: whitespace after a comma is allowed (RFC 9110 §5.6.1); tus's parser refuses
        // it, here and again in the tus server this request is handed to.
        const header = (req.headers['upload-metadata'] as string | undefined)?.trim().replace(/\s*,\s*/g, ',');
        if (header !== undefined) {
          req.raw.headers['upload-metadata'] = header;
          // The tus server reads rawHeaders (srvx's NodeRequest), not headers.
          const raw = req.raw.rawHeaders;
          for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'upload-metadata') raw[i + 1] = header;
        }
        meta = Metadata.parse(header);
      } catch {
        throw new HttpError(400, 'INVALID_METADATA', 'Upload-Metadata must be comma-separated "key base64value" pairs (tus 1.0.0), e.g. "caseId <base64>,filename <base64>"');
      }
      const caseId = meta.caseId ?? '';
      if (!z.uuid().safeParse(caseId).success) {
        throw new HttpError(400, 'NO_CASE', 'Upload-Metadata must carry caseId (base64 of the case id; create one with POST /api/cases)');
      }
      const c = await caseOf(s.db, p, caseId);
      refuseClosedCase(c);
      // Each open upload may grow to the size limit on this node's disk: a bounded number per user.
      if (registry.openBy(p.userId) >= MAX_OPEN_PER_USER) {
        throw new HttpError(429, 'TOO_MANY_UPLOADS', `${MAX_OPEN_PER_USER} unfinished uploads already; finish or DELETE some first`);
      }
      const id = randomBytes(16).toString('hex');
      const filename = cleanName(meta.filename ?? meta.name);
      registry.add({ id, orgId: c.org_id, caseId: c.id, userId: p.userId, filename, metadata: meta, size: undefined });
      newIds.set(req.raw, id);
      await handOver(req, reply);
      // tus refused the creation (size limit, bad headers): nothing to keep.
      if (reply.raw.statusCode >= 400 && registry.get(id)?.state === 'uploading') {
        registry.delete(id);
        await staging.discard(id);
      }
    });

    r.route({
      method: ['HEAD', 'PATCH', 'DELETE'],
      url: `${PATH}/:id`,
      config: { access: UPLOADERS, scopedBy: 'upload', ownerOf },
      schema: {
        params: UploadId,
        summary: 'HEAD: where to continue (Upload-Offset, Upload-Length); PATCH: append; DELETE: abandon (tus 1.0.0)',
        description:
          'PATCH: Content-Type application/offset+octet-stream, Upload-Offset = the offset HEAD reports; 204 with the new ' +
          'Upload-Offset. The PATCH that completes the upload answers 200 with the ingest result ({received, added, duplicates, ' +
          'anonymisedByServer}) or the refusal: 422 IDENTIFIABLE (naming the file and attributes), 422 NOT_DICOM, 413 ZIP_LIMIT, ' +
          '503 UNAVAILABLE (bytes held; POST /api/uploads/{id}/ingest retries). GET /api/uploads/{id}/result repeats it.',
        tags: ['uploads'],
      },
      handler: async (req, reply) => {
        const u = ownUpload(req, req.params.id);
        if (req.method === 'PATCH' && u.state !== 'uploading') {
          throw new HttpError(409, 'UPLOAD_FINISHED', `upload ${u.id} is complete (${u.state}); see GET ${PATH}/${u.id}/result`);
        }
        if (req.method === 'DELETE' && u.state !== 'uploading') {
          if (u.state === 'ingesting') {
            throw new HttpError(409, 'UPLOAD_INGESTING', `upload ${u.id} is being checked and stored; try again shortly`);
          }
          // Forget the outcome; a held upload's bytes go too (a finished one's are gone already).
          registry.delete(u.id);
          await staging.discard(u.id);
          return reply.code(204).header('Tus-Resumable', '1.0.0').send();
        }
        await handOver(req, reply);
        if (req.method === 'DELETE' && reply.raw.statusCode === 204) registry.delete(u.id);
      },
    });

    r.post(
      `${PATH}/:id/ingest`,
      {
        config: { access: UPLOADERS, scopedBy: 'upload', ownerOf },
        schema: {
          params: UploadId,
          description: 'Checks and stores a complete upload again after its ingest met an unavailable database or store (state held, 503).',
        },
      },
      async (req, reply) => {
        const u = ownUpload(req, req.params.id);
        if (u.state !== 'held') {
          const why = `upload ${u.id} is ${u.state}: only one whose ingest got 503 (state held) can be ingested again`;
          throw new HttpError(409, 'NOT_HELD', why);
        }
        const outcome = await finishUpload(s, staging, u, req.log);
        return reply.code(outcome.status).send(outcome.body);
      },
    );

    r.get(
      `${PATH}/:id/result`,
      {
        config: { access: UPLOADERS, scopedBy: 'upload', ownerOf },
        schema: {
          params: UploadId,
          description: 'How a resumable upload ended (the final PATCH answers the same): still uploading, being checked, done or refused.',
        },
      },
      async (req) => {
        const u = ownUpload(req, req.params.id);
        const base = { id: u.id, caseId: u.caseId, state: u.state, length: u.size ?? null };
        if (u.state === 'uploading') {
          const up = await staging.getUpload(u.id);
          return { ...base, offset: up.offset };
        }
        if (!u.outcome) return { ...base, offset: u.size ?? null };
        const ended = u.state === 'done' ? { result: u.outcome.body } : (u.outcome.body as object);
        return { ...base, offset: u.size ?? null, status: u.outcome.status, ...ended };
      },
    );
  });
}

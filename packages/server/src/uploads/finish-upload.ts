/**
 * The last byte of a resumable upload arrived: the staged file goes through the same gate as
 * a multipart upload (unpack: a zip's limits; ingest: identifiability or server-side
 * anonymisation, all files checked before any is stored, dedupe by SHA-256), then its
 * staged bytes are deleted whatever the outcome. The outcome is kept for GET …/result.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../context.js';
import { errorResponse, notFound } from '../http/errors.js';
import { ingest } from '../ingest/store-files.js';
import { unpack } from '../ingest/unpack.js';
import type { Outcome, StagedUpload } from './registry.js';
import type { SealedFileStore } from './staging-store.js';

export async function finishUpload(s: Services, staging: SealedFileStore, u: StagedUpload, log: FastifyBaseLogger): Promise<Outcome> {
  u.state = 'ingesting';
  let outcome: Outcome;
  try {
    const c = await s.db
      .selectFrom('cases')
      .select(['id', 'org_id'])
      .where('id', '=', u.caseId)
      .where('org_id', '=', u.orgId)
      .executeTakeFirst();
    if (!c) throw notFound('case');
    const bytes = await staging.readAll(u.id);
    const files = unpack({ name: u.filename, bytes }, { maxEntries: 20_000, maxUnzippedBytes: s.config.maxUnzippedBytes, maxRatio: 200 });
    outcome = { status: 200, body: { uploadId: u.id, caseId: u.caseId, ...(await ingest(s, c, files)) } };
  } catch (e) {
    const { status, body } = errorResponse(e);
    // 4xx messages may name the client's file: they go to the client only, never to the log.
    if (status >= 500) log.error({ err: status === 503 ? { message: (e as Error).message } : e, uploadId: u.id }, body.error.message);
    outcome = { status, body };
  }
  await staging.discard(u.id).catch((e: unknown) => log.error({ err: e, uploadId: u.id }, 'could not delete a staged upload'));
  u.state = outcome.status < 300 ? 'done' : 'failed';
  u.outcome = outcome;
  return outcome;
}

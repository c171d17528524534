/**
 * The last byte of a resumable upload arrived: the staged file goes through the same gate as
 * a multipart upload (unpack: a zip's limits; ingest: identifiability or server-side
 * anonymisation, all files checked before any is stored, dedupe by SHA-256), then its
 * staged bytes are deleted, except when the database or the store did not answer (503):
 * then they are held so `POST /api/uploads/:id/ingest` can try again without a new upload.
 * The outcome is kept for GET …/result.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../context.js';
import { errorResponse, notFound, errorForLog } from '../http/errors.js';
import { ingest } from '../ingest/store-files.js';
import { unpack, unpackLimits } from '../ingest/unpack.js';
import { filesStored } from '../workflow/auto.js';
import type { Outcome, StagedUpload } from './registry.js';
import type { SealedFileStore } from './staging-store.js';

/**
 * Ingests at once per process. Each holds its upload in memory (clear bytes, then the
 * unpacked files) and the check runs on the event loop anyway, so more at once would add
 * memory, not speed: 20 uploads of a 72 MB series finishing together wait their turn.
 */
const MAX_INGESTS = 2;
let running = 0;
const queue: Array<() => void> = [];

async function inTurn<T>(f: () => Promise<T>): Promise<T> {
  if (running >= MAX_INGESTS) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await f();
  } finally {
    running--;
    queue.shift()?.();
  }
}

export async function finishUpload(s: Services, staging: SealedFileStore, u: StagedUpload, log: FastifyBaseLogger): Promise<Outcome> {
  u.state = 'ingesting';
  const outcome = await inTurn(async (): Promise<Outcome> => {
    try {
      const c = await s.db
        .selectFrom('cases')
        .select(['id', 'org_id'])
        .where('id', '=', u.caseId)
        .where('org_id', '=', u.orgId)
        .executeTakeFirst();
      if (!c) throw notFound('case');
      const files = unpack(
        { name: u.filename, bytes: await staging.readAll(u.id) },
        unpackLimits(s.config),
      );
      const stored = await ingest(s, c, files, u.userId);
      await filesStored(s, c, log); // workflow: submitted → uploaded (never throws)
      return { status: 200, body: { uploadId: u.id, caseId: u.caseId, ...stored } };
    } catch (e) {
      const { status, body } = errorResponse(e);
      // 4xx messages may name the client's file: they go to the client only, never to the log.
      if (status >= 500) log.error({ err: errorForLog(e), uploadId: u.id }, body.error.message);
      return { status, body };
    }
  });
  u.outcome = outcome;
  if (outcome.status === 503) {
    u.state = 'held';
    return outcome;
  }
  await staging.discard(u.id).catch((e: unknown) => log.error({ err: errorForLog(e), uploadId: u.id }, 'could not delete a staged upload'));
  u.state = outcome.status < 300 ? 'done' : 'failed';
  return outcome;
}

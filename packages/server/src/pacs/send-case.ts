/**
 * Sending a case's model version to a configured PACS destination: the objects
 * (send-objects.ts) by C-STORE (DIMSE destination) or STOW-RS (DICOMweb destination), one
 * pacs_sends row that goes from 'sending' to 'sent', 'partial' or 'failed' with each
 * object's outcome, and one audit entry. The row and the entry name objects by SOP Instance
 * UID, size and SHA-256, never patient data.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { appendAudit, type AuditAction } from '../audit/index.js';
import type { Services } from '../context.js';
import type { PacsDestinationsTable } from '../db/schema-pacs.js';
import type { Case } from '../db/schema.js';
import { HttpError } from '../http/errors.js';
import { cStore, PacsError, type StoreOutcome } from './send-dimse.js';
import { buildSendObjects, modelJob, type SendKind } from './send-objects.js';
import { stowRs } from './send-stow.js';
import { currentGates } from '../workflow/facts.js';

export type PacsDestination = Selectable<PacsDestinationsTable>;

/** Audit actions of query/retrieve and send. */
export const PACS_SENT: AuditAction = 'pacs-sent';
export const PACS_IMPORTED: AuditAction = 'pacs-imported';
export const PACS_DESTINATION_CHANGED: AuditAction = 'pacs-destination-changed';

/** Our AE title as a DICOM caller and C-MOVE destination: the listener's (config.dicomAeTitle). */
export function ourAeTitle(s: Services): string {
  return s.config.dicomAeTitle;
}

export function dimsePeer(d: PacsDestination): { host: string; port: number; aeTitle: string } {
  if (!d.host || !d.port || !d.ae_title) throw new HttpError(409, 'BAD_DESTINATION', `destination ${d.name} has no host, port and AE title`);
  return { host: d.host, port: d.port, aeTitle: d.ae_title };
}

export function webUrl(d: PacsDestination): string {
  if (!d.dicomweb_url) throw new HttpError(409, 'BAD_DESTINATION', `destination ${d.name} has no DICOMweb URL`);
  return d.dicomweb_url;
}

/** A PACS failure as the API says it: 502, naming the PACS (never 503, which means our own database or store). */
export function pacsHttpError(e: unknown): unknown {
  return e instanceof PacsError ? new HttpError(502, e.code, e.message, e.logged) : e;
}

export interface SentObject {
  kind: SendKind;
  from: string[];
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  bytes: number;
  sha256: string;
  ok: boolean;
  status: number;
  comment?: string;
}

export interface SendResult {
  id: string;
  caseId: string;
  jobId: string;
  destinationId: string;
  via: 'c-store' | 'stow-rs';
  status: 'sent' | 'partial' | 'failed';
  studyInstanceUid: string;
  objects: SentObject[];
  error: string | null;
}

export async function sendCase(s: Services, p: Principal, c: Case, dest: PacsDestination, opts: { jobId?: string; attach3mf?: boolean }): Promise<SendResult> {
  // The hospital's record takes a model as finished: only the version a reviewer approved goes.
  const approved = (await currentGates(s.db, c.id)).model?.modelVersionId;
  if (!approved) {
    throw new HttpError(409, 'NOT_APPROVED', `case ${c.id} has no approved model version: a model is sent to the PACS once a reviewer has approved it`);
  }
  if (opts.jobId && opts.jobId !== approved) {
    throw new HttpError(409, 'NOT_APPROVED', `job ${opts.jobId} is not the approved model version of case ${c.id} (${approved}): only the approved version is sent to the PACS`);
  }
  const job = await modelJob(s, c, approved);
  const bundle = await buildSendObjects(s, c, job, { ...(opts.attach3mf !== undefined ? { attach3mf: opts.attach3mf } : {}) });
  const via = dest.kind === 'dimse' ? 'c-store' : 'stow-rs';
  const id = randomUUID();
  const described = bundle.objects.map((o) => ({
    kind: o.kind,
    from: o.from,
    sopClassUid: o.sopClassUid,
    sopInstanceUid: o.sopInstanceUid,
    seriesInstanceUid: o.seriesInstanceUid,
    bytes: o.bytes.length,
    sha256: createHash('sha256').update(o.bytes).digest('hex'),
  }));
  await s.db
    .insertInto('pacs_sends')
    .values({ id, org_id: c.org_id, case_id: c.id, job_id: job.id, destination_id: dest.id, status: 'sending', objects: JSON.stringify(described), error: null })
    .execute();
  let outcomes: StoreOutcome[] | undefined;
  let error: string | null = null;
  try {
    const files = bundle.objects.map((o) => ({ bytes: o.bytes, sopInstanceUid: o.sopInstanceUid }));
    outcomes = dest.kind === 'dimse' ? await cStore(dimsePeer(dest), ourAeTitle(s), files) : await stowRs(webUrl(dest), files, { peer: dest.name });
  } catch (e) {
    if (!(e instanceof PacsError) && !(e instanceof HttpError)) throw e;
    error = e.message;
  }
  const objects: SentObject[] = described.map((o, i) => {
    const r = outcomes?.[i];
    return { ...o, ok: r?.ok ?? false, status: r?.status ?? 0x0110, ...(r?.comment ? { comment: r.comment } : {}) };
  });
  const okCount = objects.filter((o) => o.ok).length;
  const status: SendResult['status'] = okCount === objects.length ? 'sent' : okCount === 0 ? 'failed' : 'partial';
  if (!error && status !== 'sent') error = objects.filter((o) => !o.ok).map((o) => `${o.kind}: status 0x${o.status.toString(16).padStart(4, '0')}${o.comment ? ` (${o.comment})` : ''}`).join('; ');
  await s.db.updateTable('pacs_sends').set({ status, objects: JSON.stringify(objects), error }).where('id', '=', id).execute();
  await appendAudit(s, s.db, {
    action: PACS_SENT,
    actor: p,
    orgId: c.org_id,
    caseId: c.id,
    details: {
      sendId: id,
      destinationId: dest.id,
      destination: dest.name,
      via,
      jobId: job.id,
      status,
      objects: objects.map((o) => ({ kind: o.kind, sopInstanceUid: o.sopInstanceUid, sha256: o.sha256, ok: o.ok })),
      ...(error ? { error: error.slice(0, 500) } : {}),
    },
  });
  return { id, caseId: c.id, jobId: job.id, destinationId: dest.id, via, status, studyInstanceUid: bundle.studyInstanceUid, objects, error };
}

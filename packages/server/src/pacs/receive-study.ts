/**
 * A received study becomes a case the way an upload does: every instance checked (and
 * anonymised in memory when the organisation says so, else refused), then stored through
 * ingest/store-files.ts (dedupe, one transaction, audited). The case starts as a draft whose
 * purpose says where it came from: a requester describes the order and submits it. What the
 * receipt noticed (an interrupted transfer, instance numbers missing, refused instances) is
 * kept with the reception and written into the case's notes; the convert's own import
 * findings (MISSING_SLICES for a gap in the stack) come on top when it runs. A route's
 * convert is not started for a study the receipt knows to be incomplete or mixed. A study
 * received again while the organisation's case of it is open makes a new case that names the
 * earlier one (PACS_DUPLICATE_STUDY): never merged into it, which may be under review. A study
 * leaves the spool (spool.ts) in the transaction that records its reception; its case has the
 * spooled study's id, so a start that takes back a completion cut short by a kill goes on with
 * that case instead of making a second one.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Insertable, Kysely } from 'kysely';
import dicomParser from 'dicom-parser';
import { FINAL_STATES } from '@scan2print/core';
import type { Services } from '../context.js';
import { HttpError, errorForLog, notFound } from '../http/errors.js';
import { ingest } from '../ingest/store-files.js';
import { appendAudit, type AuditAction } from '../audit/index.js';
import { caseChanged } from '../routes/events.js';
import { enqueue } from '../jobs/queue.js';
import type { PacsReceptionsTable } from '../db/schema-pacs.js';
import type { Database } from '../db/schema.js';
import { acceptInstance } from './receive-instance.js';
import { StudyTakenOver, studyColumns, type PacsSpool } from './spool.js';
import type { PendingStudy } from './study-assembler.js';

export interface ReceiptFinding {
  code:
    | 'PACS_TRANSFER_INTERRUPTED'
    | 'PACS_INSTANCES_MISSING'
    | 'PACS_INSTANCES_REFUSED'
    | 'PACS_CONVERT_NOT_STARTED'
    | 'PACS_OTHER_PATIENT'
    | 'PACS_DUPLICATE_STUDY'
    | 'PACS_COMPLETED_AT_SHUTDOWN'
    | 'PACS_RECOVERED_AT_START';
  severity: 'warn';
  message: string;
}

/** Audit actions of the receiver (listed in AUDIT_ACTIONS). */
export const PACS_REFUSED: AuditAction = 'pacs-refused';
export const PACS_ROUTE_CHANGED: AuditAction = 'pacs-route-changed';

export interface IngestSource {
  via: 'c-store' | 'stow-rs' | 'c-move' | 'wado-rs';
  callingAe?: string;
}

export interface IngestOptions {
  /** Who the case is recorded as created by (a user id); default the organisation's first org-admin. */
  createdBy?: string | null;
  notes?: string;
  /** Receipt details for the case-created audit entry. */
  details?: Record<string, unknown>;
  /**
   * The case's id (a spooled study's). When a case of the organisation has it already (its
   * completion was cut short by a kill), the files go into that case, which is not made again.
   */
  caseId?: string;
  /** Run first in the transaction that makes the case; a throw makes none (a spooled study's: still this process's). */
  guard?: (tx: Kysely<Database>) => Promise<void>;
}

/**
 * Creates a case of `orgId` from DICOM instances received from a PACS (C-STORE, STOW-RS, or
 * pacs-send's C-MOVE/WADO imports). Every file is checked before the case exists: one that
 * identifies the patient while the organisation does not anonymise on the server is a 422
 * IDENTIFIABLE naming it, and no case is made.
 */
export async function ingestInstances(
  s: Services,
  orgId: string,
  files: { name: string; bytes: Uint8Array }[],
  source: IngestSource,
  opts: IngestOptions = {},
): Promise<{ caseId: string }> {
  if (files.length === 0) throw new HttpError(400, 'NO_FILES', 'no instances received');
  const org = await s.db.selectFrom('orgs').select(['id', 'server_anonymise', 'anonymise_key']).where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound('organisation');
  const ready: { name: string; bytes: Uint8Array }[] = [];
  let anatomy: string | null = null;
  for (const f of files) {
    const r = await acceptInstance(f.bytes, f.name, org);
    if (!r.ok) throw new HttpError(422, r.code, r.message);
    anatomy ??= bodyPart(r.instance.bytes);
    ready.push({ name: f.name, bytes: r.instance.bytes });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const createdBy = opts.createdBy ?? (await defaultCreator(s, orgId));
  const caseId = opts.caseId ?? randomUUID();
  const from = `${source.via.toUpperCase()}${source.callingAe ? ` from ${source.callingAe}` : ''}`;
  await s.db.transaction().execute(async (tx) => {
    await opts.guard?.(tx);
    const made = await tx
      .insertInto('cases')
      .values({
        id: caseId,
        org_id: orgId,
        purpose: `Study received from PACS (${from}): describe the purpose and submit the order`,
        anatomy: anatomy ?? 'unspecified',
        due_date: null,
        notes: opts.notes ?? null,
        created_by: createdBy,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(made.numInsertedOrUpdatedRows ?? 0) === 0) {
      const had = await tx.selectFrom('cases').select('org_id').where('id', '=', caseId).executeTakeFirst();
      if (had?.org_id !== orgId) throw new Error('the case id of a received study is another organisation\'s case');
      return;
    }
    await appendAudit(s, tx, {
      action: 'case-created',
      actor: null,
      orgId,
      caseId,
      details: { via: source.via, callingAe: source.callingAe ?? null, instances: files.length, ...opts.details },
    });
  });
  await ingest(s, { id: caseId, org_id: orgId }, ready, null);
  caseChanged(s.db, orgId);
  return { caseId };
}

/** BodyPartExamined of an (anonymised) instance, as the case's anatomy; null when absent. */
function bodyPart(bytes: Uint8Array): string | null {
  try {
    const v = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }).string('x00180015')?.trim();
    return v && v !== 'ANONYMISED' ? v.toLowerCase().slice(0, 200) : null;
  } catch {
    return null;
  }
}

/** The organisation's first org-admin, else the installation admin: cases need a creator. */
async function defaultCreator(s: Services, orgId: string): Promise<string> {
  const admin = await s.db.selectFrom('users').select('id').where('org_id', '=', orgId).where('role', '=', 'org-admin').orderBy('created_at').executeTakeFirst();
  if (admin) return admin.id;
  const root = await s.db.selectFrom('users').select('id').where('role', '=', 'admin').orderBy('created_at').executeTakeFirst();
  if (!root) throw new Error('no user to record as the creator of a received case');
  return root.id;
}

/** What the receipt itself can tell about completeness (a sender never says how many instances it will send). */
export function receiptFindings(st: PendingStudy): ReceiptFinding[] {
  const out: ReceiptFinding[] = [];
  const n = st.instances.size;
  if (st.interrupted.length) {
    out.push({
      code: 'PACS_TRANSFER_INTERRUPTED',
      severity: 'warn',
      message: `the transfer was interrupted (${st.interrupted[0]}) after ${n} instance(s); the study was taken as complete after ${secondsQuiet(st)} s without a new instance, slices may be missing`,
    });
  }
  const bySeries = new Map<string, { numbers: number[]; expected: number | null }>();
  for (const i of st.instances.values()) {
    const k = i.seriesUid ?? '';
    const e = bySeries.get(k) ?? { numbers: [], expected: null };
    if (i.instanceNumber !== null) e.numbers.push(i.instanceNumber);
    if (i.imagesInAcquisition !== null) e.expected = Math.max(e.expected ?? 0, i.imagesInAcquisition);
    bySeries.set(k, e);
  }
  let s = 0;
  for (const { numbers, expected } of bySeries.values()) {
    s++;
    const sorted = [...new Set(numbers)].sort((a, b) => a - b);
    const missing: number[] = [];
    for (let k = 1; k < sorted.length; k++) for (let m = sorted[k - 1]! + 1; m < sorted[k]! && missing.length < 10_000; m++) missing.push(m);
    if (missing.length) {
      out.push({
        code: 'PACS_INSTANCES_MISSING',
        severity: 'warn',
        message: `series ${s} of ${bySeries.size}: ${missing.length} instance number(s) between ${sorted[0]} and ${sorted.at(-1)} not received (${ranges(missing)}); slices are missing`,
      });
    } else if (expected !== null && sorted.length && sorted.length < expected) {
      out.push({
        code: 'PACS_INSTANCES_MISSING',
        severity: 'warn',
        message: `series ${s} of ${bySeries.size}: ${sorted.length} of ${expected} images in acquisition received; slices are missing`,
      });
    }
  }
  if (st.refused) {
    out.push({ code: 'PACS_INSTANCES_REFUSED', severity: 'warn', message: `${st.refused} instance(s) of this sender refused: ${st.refusals.join('; ')}` });
  }
  if (st.otherPatient) {
    out.push({
      code: 'PACS_OTHER_PATIENT',
      severity: 'warn',
      message: `${st.otherPatient} instance(s) under this study's Study Instance UID were of another patient than the study's first instances (another PatientID) and were refused: the sender's records mix two patients, have them checked`,
    });
  }
  if (st.cutShort) {
    out.push({
      code: 'PACS_COMPLETED_AT_SHUTDOWN',
      severity: 'warn',
      message: `the server was shutting down ${secondsQuiet(st)} s after the last instance, before the quiet time had passed: the study was taken as complete with the ${n} instance(s) received; instances still to come were not received, have the study sent again if so`,
    });
  }
  if (st.recovered) {
    const lost = st.recovered.unreadable;
    out.push({
      code: 'PACS_RECOVERED_AT_START',
      severity: 'warn',
      message:
        `the server process receiving this study stopped without closing (killed, or the machine lost power) before its quiet time had passed; the ${n} instance(s) ` +
        `it had acknowledged were kept and taken back from the spool (by the server started again, or by another server process once the stopped one's hold ran out)` +
        `${lost ? ` (${lost} more could not be read back and are missing)` : ''}: ` +
        'whether the sender had sent all of the study cannot be told, compare with the study at the sender and have it sent again if instances are missing',
    });
  }
  return out;
}

/**
 * The open (not final) case of `orgId` that holds the same stored study, if any, other than
 * `self` (the case being made): the newest case of an earlier reception of it (by Study
 * Instance UID, kept since 0011-pacs-study), else the newest case holding one of its series.
 * Uploads, WADO-RS imports and receptions from before 0011 keep no Study Instance UID; their
 * files keep their Series Instance UID (as stored: anonymised alike under the organisation's
 * key), and a series belongs to one study. A case closed (delivered, rejected, cancelled) does not count.
 */
async function openCaseOfStudy(s: Services, orgId: string, studyUid: string, seriesUids: string[], self: string): Promise<{ caseId: string; received: boolean } | undefined> {
  const hit = await s.db
    .selectFrom('pacs_receptions')
    .innerJoin('cases', 'cases.id', 'pacs_receptions.case_id')
    .select('cases.id')
    .where('pacs_receptions.org_id', '=', orgId)
    .where('pacs_receptions.study_uid', '=', studyUid)
    .where('cases.status', 'not in', [...FINAL_STATES])
    .where('cases.id', '<>', self)
    .orderBy('pacs_receptions.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (hit) return { caseId: hit.id, received: true };
  if (seriesUids.length === 0) return undefined;
  const held = await s.db
    .selectFrom('files')
    .innerJoin('cases', 'cases.id', 'files.case_id')
    .select('cases.id')
    .where('files.org_id', '=', orgId)
    .where('files.series_uid', 'in', seriesUids)
    .where('cases.status', 'not in', [...FINAL_STATES])
    .where('cases.id', '<>', self)
    .orderBy('cases.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return held ? { caseId: held.id, received: false } : undefined;
}

const secondsQuiet = (st: PendingStudy) => Math.max(0, Math.round((Date.now() - st.lastAt) / 1000));

function ranges(xs: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length && parts.length < 8; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}–${xs[j]}`);
    i = j + 1;
  }
  return parts.join(', ') + (parts.length === 8 ? ', …' : '');
}

/** What became of a received study: its case (and convert), or why there is none. */
export type StudyOutcome = { caseId: string; jobId: string | null; error: null } | { caseId: null; jobId: null; error: string };

/**
 * The quiet time of a study passed: a case from its instances, the convert when the route
 * asks for one, and the reception recorded. Never throws (it runs from a timer): a failure
 * is logged and kept in the reception row.
 */
export async function completeStudy(
  s: Services,
  st: PendingStudy,
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
  spool?: PacsSpool,
): Promise<StudyOutcome & { recorded: boolean; takenOver?: true }> {
  const { route, via, callingAe } = st.source;
  const findings = receiptFindings(st);
  // A model of a study known to be incomplete would bridge the gap and look printable: a person decides.
  const why: Partial<Record<ReceiptFinding['code'], string>> = {
    PACS_TRANSFER_INTERRUPTED: 'the transfer was interrupted',
    PACS_INSTANCES_MISSING: 'instances are missing',
    PACS_COMPLETED_AT_SHUTDOWN: 'the server closed before the study was known complete',
    PACS_RECOVERED_AT_START: 'the server stopped before the study was known complete',
    PACS_OTHER_PATIENT: 'instances of another patient came under the same study',
  };
  const incomplete = findings.filter((f) => why[f.code]);
  const convert = route.auto_convert && incomplete.length === 0;
  if (route.auto_convert && !convert) {
    findings.push({
      code: 'PACS_CONVERT_NOT_STARTED',
      severity: 'warn',
      message: `the route's convert was not started because ${[...new Set(incomplete.map((f) => why[f.code]))].join(' and ')}: have the study sent again, or start a convert by hand once it is known complete`,
    });
  }
  const files = [...st.instances.values()]
    .sort((a, b) => (a.seriesUid ?? '').localeCompare(b.seriesUid ?? '') || (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0))
    .map((i, k) => ({ name: `${i.sopUid ?? `instance-${k + 1}`}.dcm`, bytes: i.bytes }));
  const byServer = [...st.instances.values()].filter((i) => i.by === 'server').length;
  // The spooled study's id: a completion taken up again after a kill finds its own case and reception.
  const row = {
    ...studyColumns(st),
    instances: st.instances.size,
    refused_instances: st.refused,
    completed_at: new Date(),
  };
  try {
    const series = [...new Set([...st.instances.values()].map((i) => i.seriesUid).filter((u): u is string => u !== null))];
    const earlier = await openCaseOfStudy(s, route.org_id, st.studyUid, series, st.id);
    if (earlier) {
      const before = earlier.received ? 'received before' : 'uploaded, imported or received before';
      findings.push({
        code: 'PACS_DUPLICATE_STUDY',
        severity: 'warn',
        message: `this study was ${before} and its case ${earlier.caseId} is still open: this is a second case of it (not merged: the first may be under review); compare the two and cancel the one not needed`,
      });
    }
    const notes = findings.length ? `Received from PACS: ${findings.map((f) => f.message).join(' — ')}` : undefined;
    const { caseId } = await ingestInstances(s, route.org_id, files, { via, ...(callingAe ? { callingAe } : {}) }, {
      createdBy: route.created_by,
      ...(notes ? { notes } : {}),
      caseId: st.id,
      ...(spool ? { guard: (tx: Kysely<Database>) => spool.hold(tx, st.id) } : {}),
      details: { routeId: route.id || null, anonymisedByServer: byServer, refused: st.refused, findings: findings.map((f) => f.code) },
    });
    let jobId: string | null = null;
    if (convert) {
      const createdBy = route.created_by ?? (await defaultCreator(s, route.org_id));
      const params = (route.convert_params ?? {}) as Record<string, unknown>;
      const job = await enqueue(s.db, { orgId: route.org_id, caseId, kind: 'convert', params, createdBy, idempotencyKey: `pacs-receive:${row.id}` });
      jobId = job.id;
      // Queued by a completion cut short before: audited then.
      if (job.created) await appendAudit(s, s.db, { action: 'job-queued', actor: null, orgId: route.org_id, caseId, details: { jobId, kind: 'convert', params, via } });
    }
    await record(s, spool, st.id, { ...row, findings: JSON.stringify(findings), status: 'case-created', case_id: caseId, job_id: jobId, error: null });
    spool?.removeBytes(st.id).catch((e: unknown) => log.warn({ err: errorForLog(e) }, 'PACS spool: bytes of a recorded study not removed'));
    log.info({ caseId, jobId, instances: st.instances.size, via, callingAe, findings: findings.map((f) => f.code) }, 'PACS study received: case created');
    return { caseId, jobId, error: null, recorded: true };
  } catch (e) {
    if (e instanceof StudyTakenOver) {
      // This process stalled past its lease: the process that took the study makes its case and records it.
      log.warn({ instances: st.instances.size, via, callingAe }, 'PACS study taken over by another server process (this one stalled past its lease): its case is made there, not here');
      return { caseId: null, jobId: null, error: e.message, recorded: false, takenOver: true };
    }
    const message = e instanceof HttpError ? `${e.code}: ${e.message}` : 'internal error (logged)';
    log.error({ err: errorForLog(e), instances: st.instances.size, via, callingAe }, 'PACS study received but no case could be made');
    try {
      await record(s, spool, st.id, { ...row, findings: JSON.stringify(findings), status: 'failed', case_id: null, job_id: null, error: message });
    } catch (e2) {
      if (e2 instanceof StudyTakenOver) return { caseId: null, jobId: null, error: message, recorded: false, takenOver: true };
      // Nothing recorded: the study stays in the spool, and the next start takes it up again.
      log.error({ err: errorForLog(e2) }, 'could not record a failed PACS reception: the study stays in the spool');
      return { caseId: null, jobId: null, error: message, recorded: false };
    }
    spool?.removeBytes(st.id).catch((e3: unknown) => log.warn({ err: errorForLog(e3) }, 'PACS spool: bytes of a recorded study not removed'));
    return { caseId: null, jobId: null, error: message, recorded: true };
  }
}

/** The reception row, and the study out of the spool, together: a study is in one or the other. */
async function record(s: Services, spool: PacsSpool | undefined, studyId: string, row: Insertable<PacsReceptionsTable>): Promise<void> {
  await s.db.transaction().execute(async (tx) => {
    // A reception of this id exists when another process completed the same spooled study (its lease ran out meanwhile).
    await tx.insertInto('pacs_receptions').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
    await spool?.remove(tx, studyId);
  });
}

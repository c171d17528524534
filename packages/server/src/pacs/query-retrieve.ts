/**
 * Search and import from a configured PACS: C-FIND or QIDO-RS for studies and series; C-MOVE
 * to our own DICOM listener (the PACS C-STOREs the instances there and the receiving side
 * makes the case, as for any routed sender), or WADO-RS straight into ingestInstances.
 *
 * A C-MOVE needs, on the PACS, our AE title with this server's host and DICOM port, and here a
 * route for the PACS's AE title (its instances are refused otherwise); errors say so. The
 * original study's identifiers go to the PACS only: audit entries count instances and name
 * the case, not the study.
 */
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/index.js';
import type { Services } from '../context.js';
import { HttpError } from '../http/errors.js';
import { cFindSeries, cFindStudies, cMove, type MoveOutcome, type SeriesMatch, type StudyMatch, type StudyQuery } from './query-dimse.js';
import { qidoSeries, qidoStudies, wadoRetrieve } from './query-dicomweb.js';
import { ingestInstances, type IngestSource } from './receive-study.js';
import { dimsePeer, ourAeTitle, PACS_IMPORTED, webUrl, type PacsDestination } from './send-case.js';

/** API dates (YYYY-MM-DD, YYYYMMDD, or a range of them with '-' or '..') as a DICOM date range. */
export function dicomDateQuery(date: string): string {
  const one = (d: string) => {
    const t = d.trim().replace(/-/g, '');
    if (t === '') return '';
    if (!/^\d{8}$/.test(t)) throw new HttpError(400, 'BAD_DATE', `date "${date}": use YYYY-MM-DD, YYYYMMDD or a range FROM..TO`);
    return t;
  };
  const v = date.trim();
  if (v.includes('..')) {
    const [a, b] = v.split('..');
    return `${one(a ?? '')}-${one(b ?? '')}`;
  }
  if (/^\d{8}-\d{8}$/.test(v) || /^-\d{8}$/.test(v) || /^\d{8}-$/.test(v)) return v;
  return one(v);
}

export async function findStudies(s: Services, d: PacsDestination, q: StudyQuery): Promise<StudyMatch[]> {
  return d.kind === 'dimse' ? cFindStudies(dimsePeer(d), ourAeTitle(s), q) : qidoStudies(webUrl(d), q);
}

export async function findSeries(s: Services, d: PacsDestination, studyUid: string): Promise<SeriesMatch[]> {
  return d.kind === 'dimse' ? cFindSeries(dimsePeer(d), ourAeTitle(s), studyUid) : qidoSeries(webUrl(d), studyUid);
}

export interface RetrieveResult {
  via: 'c-move' | 'wado-rs';
  instances: number;
  failed: number;
  /** The case made from the instances; null while the listener still waits for the study's end (C-MOVE without wait). */
  caseId: string | null;
}

/** The reception the listener recorded for instances this PACS sent since `since`, waiting up to `ms`. */
async function receptionAfter(s: Services, orgId: string, callingAe: string, since: Date, ms: number): Promise<{ caseId: string | null; error: string | null } | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const row = await s.db
      .selectFrom('pacs_receptions')
      .select(['case_id', 'status', 'error'])
      .where('org_id', '=', orgId)
      .where('calling_ae', '=', callingAe)
      .where('created_at', '>=', since)
      .where('status', 'in', ['case-created', 'failed'])
      .orderBy('created_at')
      .executeTakeFirst();
    if (row) return { caseId: row.case_id, error: row.status === 'failed' ? (row.error ?? 'failed') : null };
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function retrieve(s: Services, p: Principal, orgId: string, d: PacsDestination, studyUid: string, seriesUid: string | undefined, opts: { wait?: boolean }): Promise<RetrieveResult> {
  let result: RetrieveResult;
  if (d.kind === 'dimse') {
    const peer = dimsePeer(d);
    const ours = ourAeTitle(s);
    // The reception row is stamped by the database's clock: compare with it, not ours.
    const since = new Date(Date.now() - 2000);
    const moved: MoveOutcome = await cMove(peer, ours, ours, studyUid, seriesUid);
    if (moved.completed === 0) {
      throw new HttpError(502, 'PACS_MOVE_FAILED', `${d.name} moved no instance to ${ours} (${moved.failed} failed): does the PACS know ${ours} with this server's host and DICOM port, is the listener running, and is there a route for calling AE ${peer.aeTitle}?`);
    }
    let caseId: string | null = null;
    if (opts.wait) {
      const got = await receptionAfter(s, orgId, peer.aeTitle, since, (s.config.pacsQuietSeconds + 60) * 1000);
      if (got?.error) throw new HttpError(422, 'PACS_IMPORT_REFUSED', `the moved study did not become a case: ${got.error}`);
      caseId = got?.caseId ?? null;
    }
    result = { via: 'c-move', instances: moved.completed + moved.warnings, failed: moved.failed, caseId };
  } else {
    const files = await wadoRetrieve(webUrl(d), studyUid, seriesUid);
    const source: IngestSource = { via: 'wado-rs' };
    const { caseId } = await ingestInstances(s, orgId, files.map((bytes, i) => ({ name: `WADO-RS instance ${i + 1} from ${d.name}`, bytes })), source, { createdBy: p.userId });
    result = { via: 'wado-rs', instances: files.length, failed: 0, caseId };
  }
  await appendAudit(s, s.db, {
    action: PACS_IMPORTED,
    actor: p,
    orgId,
    caseId: result.caseId,
    details: { destinationId: d.id, destination: d.name, via: result.via, level: seriesUid ? 'series' : 'study', instances: result.instances, failed: result.failed },
  });
  return result;
}

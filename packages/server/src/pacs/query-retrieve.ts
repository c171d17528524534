/**
 * Search and import from a configured PACS: C-FIND or QIDO-RS for studies and series; C-MOVE
 * to our own DICOM listener (the PACS C-STOREs the instances there and the receiving side
 * makes the case, as for any routed sender), or WADO-RS straight into ingestInstances.
 *
 * A C-MOVE needs, on the PACS, our AE title with this server's host and DICOM port, and here a
 * route of the caller's organisation for the PACS's AE title (checked before the move: its
 * instances are refused, or become another organisation's case, otherwise). The
 * original study's identifiers go to the PACS only: audit entries count instances and name
 * the case, not the study.
 */
import { deriveUid, keyBytes } from '@scan2print/core';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/index.js';
import type { Services } from '../context.js';
import { HttpError } from '../http/errors.js';
import { within } from '../http/within.js';
import { cFindSeries, cFindStudies, cMove, type MoveOutcome, type SeriesMatch, type StudyMatch, type StudyQuery } from './query-dimse.js';
import { qidoSeries, qidoStudies, wadoRetrieve } from './query-dicomweb.js';
import { ingestInstances, type IngestSource, type StudyOutcome } from './receive-study.js';
import { pacsReceiver, type ImportRefusal, type PacsLog } from './receive-service.js';
import { routeForAssociation } from './routing.js';
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
  return d.kind === 'dimse' ? cFindStudies(dimsePeer(d), ourAeTitle(s), q) : qidoStudies(webUrl(d), q, { peer: d.name });
}

export async function findSeries(s: Services, d: PacsDestination, studyUid: string): Promise<SeriesMatch[]> {
  return d.kind === 'dimse' ? cFindSeries(dimsePeer(d), ourAeTitle(s), studyUid) : qidoSeries(webUrl(d), studyUid, { peer: d.name });
}

export interface RetrieveResult {
  via: 'c-move' | 'wado-rs';
  instances: number;
  failed: number;
  /** The case made from the instances; null while the listener still waits for the study's end (C-MOVE without wait). */
  caseId: string | null;
}

/**
 * The Study Instance UIDs a moved study may be stored under: its own when it arrives
 * anonymised, else the replacement core's anonymiser gives it under the organisation's key
 * (deriveUid, as for every UID). The reception keeps neither: the wait matches in memory.
 */
async function storedStudyUids(s: Services, orgId: string, studyUid: string): Promise<string[]> {
  const org = await s.db.selectFrom('orgs').select(['server_anonymise', 'anonymise_key']).where('id', '=', orgId).executeTakeFirstOrThrow();
  return org.server_anonymise ? [studyUid, deriveUid(keyBytes(org.anonymise_key), studyUid)] : [studyUid];
}

/**
 * Refuses a C-MOVE the listener would not route to `orgId`: the PACS calls with its own AE
 * title (the destination's) to ours, and a route of another organisation would make the
 * case there (the listener routes by AE titles, not by who asked for the move).
 */
async function refuseUnroutedMove(s: Services, orgId: string, d: PacsDestination, peerAe: string, ours: string): Promise<void> {
  const routed = await routeForAssociation(s.db, peerAe, ours, ours);
  const sends = `${d.name} sends the moved instances as calling AE ${peerAe} to ${ours}`;
  if ('refused' in routed) {
    throw new HttpError(409, 'PACS_NO_ROUTE', `${sends}, and no PACS route takes them: an org-admin adds a route for calling AE ${peerAe} (PACS routes) first`);
  }
  if (routed.route.org_id !== orgId) {
    throw new HttpError(
      409,
      'PACS_ROUTE_OTHER_ORG',
      `${sends}, which this server routes to another organisation: the case would be made there. ` +
        `Give the PACS another AE title for this organisation (its destination here and a route for it), or have the installation admin move the route`,
    );
  }
}

/**
 * The answer to a C-MOVE import whose instances this server's listener refused: the reasons,
 * each naming the SOP Instance, instead of the PACS's bare failure count (the reasons were
 * otherwise in the receptions list only, which the caller may not see).
 */
function importRefused(d: PacsDestination, ours: string, refused: { count: number; first: readonly ImportRefusal[] }, accepted = ''): HttpError {
  const reasons = refused.first.map((r) => `${r.code} (SOP Instance ${r.sopInstanceUid ?? 'without a UID'}): ${r.message}`);
  const more = refused.count > reasons.length ? `; and ${refused.count - reasons.length} more` : '';
  return new HttpError(
    422,
    'PACS_IMPORT_REFUSED',
    `${d.name} sent instances to ${ours}, and this server refused ${refused.count} of them: ${reasons.join('; ')}${more}${accepted}`,
  );
}

/**
 * What became of the instances taken before the PACS ended the move (Orthanc stops at the
 * first sub-operation refused): they were acknowledged, so they become a case like any
 * reception, and the caller told "refused" must hear of it (before, the case was made unseen).
 * `outcome`: the study's, when the caller waits for it.
 */
async function acceptedPart(accepted: number, outcome: Promise<StudyOutcome> | undefined, quietSeconds: number): Promise<string> {
  if (accepted === 0) return '';
  const n = `the ${accepted} instance(s) it took before`;
  if (!outcome) return `. ${n} become a case after the quiet time (its receipt names what was refused)`;
  const got = await within(outcome, (quietSeconds + 60) * 1000);
  if (got?.caseId) return `. ${n} became case ${got.caseId} (its receipt names what was refused): check or cancel it`;
  return `. ${n} did not become a case${got?.error ? `: ${got.error}` : ''}`;
}

export async function retrieve(
  s: Services,
  p: Principal,
  orgId: string,
  d: PacsDestination,
  studyUid: string,
  seriesUid: string | undefined,
  opts: { wait?: boolean; log: PacsLog },
): Promise<RetrieveResult> {
  let result: RetrieveResult;
  if (d.kind === 'dimse') {
    const peer = dimsePeer(d);
    const ours = ourAeTitle(s);
    await refuseUnroutedMove(s, orgId, d, peer.aeTitle, ours);
    const receiver = pacsReceiver(s, opts.log);
    const uids = await storedStudyUids(s, orgId, studyUid);
    // Both before the move starts: the PACS C-STOREs while cMove runs, and the study may be complete before it returns.
    const watch = receiver.watchRefusals(orgId, uids);
    const expected = opts.wait ? receiver.expectStudy(orgId, uids) : undefined;
    try {
      let moved: MoveOutcome;
      try {
        moved = await cMove(peer, ours, ours, studyUid, seriesUid);
      } catch (e) {
        // A PACS may end the move with a failure status because we refused what it sent: then that is the reason.
        const r = watch.refused();
        throw r.count ? importRefused(d, ours, r, await acceptedPart(r.accepted, expected?.outcome, s.config.pacsQuietSeconds)) : e;
      }
      if (moved.completed === 0) {
        const r = watch.refused();
        if (r.count) throw importRefused(d, ours, r, await acceptedPart(r.accepted, expected?.outcome, s.config.pacsQuietSeconds));
        throw new HttpError(502, 'PACS_MOVE_FAILED', `${d.name} moved no instance to ${ours} (${moved.failed} failed): does the PACS know ${ours} with this server's host and DICOM port, and is the listener running?`);
      }
      let caseId: string | null = null;
      if (expected) {
        const got = await within(expected.outcome, (s.config.pacsQuietSeconds + 60) * 1000);
        if (got?.error) throw new HttpError(422, 'PACS_IMPORT_REFUSED', `the moved study did not become a case: ${got.error}`);
        caseId = got?.caseId ?? null;
      }
      result = { via: 'c-move', instances: moved.completed + moved.warnings, failed: moved.failed, caseId };
    } finally {
      expected?.cancel();
      watch.cancel();
    }
  } else {
    const files = await wadoRetrieve(webUrl(d), studyUid, seriesUid, { peer: d.name });
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

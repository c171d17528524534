/**
 * Query/retrieve over DIMSE (Study Root): C-FIND for studies (by accession number and/or
 * study date) and for the series of a study, C-MOVE of a study or series to an AE title (our
 * listener's). Results carry what a user needs to pick a series, never the patient's name
 * or ID: the server passes no identity on (the user searches by accession number or date).
 */
import dcmjsDimse from 'dcmjs-dimse';
import { PacsError, peerName, runAssociation, statusClass, type AssociationOptions, type DimsePeer } from './send-dimse.js';

const { requests } = dcmjsDimse;

export interface StudyMatch {
  studyInstanceUid: string;
  accessionNumber: string | null;
  studyDate: string | null;
  studyTime: string | null;
  studyDescription: string | null;
  modalities: string[];
  series: number | null;
  instances: number | null;
}

export interface SeriesMatch {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  seriesNumber: number | null;
  modality: string | null;
  seriesDescription: string | null;
  instances: number | null;
}

export interface StudyQuery {
  accession?: string;
  /** DICOM date or range: YYYYMMDD, YYYYMMDD-YYYYMMDD, -YYYYMMDD, YYYYMMDD-. */
  date?: string;
}

type Ds = { getElement(tag: string): unknown };
interface FindResponse {
  getStatus(): number;
  hasDataset(): boolean;
  getDataset(): Ds | undefined;
  getErrorComment(): string;
}

const str = (ds: Ds, key: string): string | null => {
  const v = ds.getElement(key);
  const s = Array.isArray(v) ? v.join('\\') : v === undefined || v === null ? '' : String(v);
  return s.trim() || null;
};
const int = (ds: Ds, key: string): number | null => {
  const s = str(ds, key);
  const n = s === null ? NaN : Number(s);
  return Number.isFinite(n) ? n : null;
};

async function find(peer: DimsePeer, callingAe: string, req: InstanceType<typeof requests.CFindRequest>, opts: AssociationOptions): Promise<Ds[]> {
  const found: Ds[] = [];
  let final: { status: number; comment: string } | undefined;
  req.on('response', (res: FindResponse) => {
    const status = res.getStatus();
    if (statusClass(status) === 'pending') {
      const ds = res.hasDataset() ? res.getDataset() : undefined;
      if (ds) found.push(ds);
    } else final = { status, comment: res.getErrorComment?.() ?? '' };
  });
  await runAssociation(peer, callingAe, [req], opts);
  if (!final) throw new PacsError('PACS_FAILED', `${peerName(peer)} answered the C-FIND with no final status (the query model may not be supported)`);
  if (statusClass(final.status) === 'failure') {
    throw new PacsError('PACS_FAILED', `${peerName(peer)} refused the C-FIND: status 0x${final.status.toString(16).padStart(4, '0')}${final.comment ? ` (${final.comment})` : ''}`, final.comment);
  }
  return found;
}

/** C-FIND at study level. */
export async function cFindStudies(peer: DimsePeer, callingAe: string, q: StudyQuery, opts: AssociationOptions = {}): Promise<StudyMatch[]> {
  const req = requests.CFindRequest.createStudyFindRequest({
    StudyInstanceUID: '',
    AccessionNumber: q.accession ?? '',
    StudyDate: q.date ?? '',
    StudyTime: '',
    StudyDescription: '',
    ModalitiesInStudy: '',
    NumberOfStudyRelatedSeries: '',
    NumberOfStudyRelatedInstances: '',
  });
  const rows = await find(peer, callingAe, req, opts);
  return rows
    .map((ds) => ({
      studyInstanceUid: str(ds, 'StudyInstanceUID') ?? '',
      accessionNumber: str(ds, 'AccessionNumber'),
      studyDate: str(ds, 'StudyDate'),
      studyTime: str(ds, 'StudyTime'),
      studyDescription: str(ds, 'StudyDescription'),
      modalities: (str(ds, 'ModalitiesInStudy') ?? '').split('\\').filter(Boolean),
      series: int(ds, 'NumberOfStudyRelatedSeries'),
      instances: int(ds, 'NumberOfStudyRelatedInstances'),
    }))
    .filter((m) => m.studyInstanceUid);
}

/** C-FIND at series level within one study. */
export async function cFindSeries(peer: DimsePeer, callingAe: string, studyInstanceUid: string, opts: AssociationOptions = {}): Promise<SeriesMatch[]> {
  const req = requests.CFindRequest.createSeriesFindRequest({
    StudyInstanceUID: studyInstanceUid,
    SeriesInstanceUID: '',
    SeriesNumber: '',
    Modality: '',
    SeriesDescription: '',
    NumberOfSeriesRelatedInstances: '',
  });
  const rows = await find(peer, callingAe, req, opts);
  return rows
    .map((ds) => ({
      studyInstanceUid,
      seriesInstanceUid: str(ds, 'SeriesInstanceUID') ?? '',
      seriesNumber: int(ds, 'SeriesNumber'),
      modality: str(ds, 'Modality'),
      seriesDescription: str(ds, 'SeriesDescription'),
      instances: int(ds, 'NumberOfSeriesRelatedInstances'),
    }))
    .filter((m) => m.seriesInstanceUid)
    .sort((a, b) => (a.seriesNumber ?? 1e9) - (b.seriesNumber ?? 1e9));
}

export interface MoveOutcome {
  status: number;
  completed: number;
  failed: number;
  warnings: number;
}

interface MoveResponse {
  getStatus(): number;
  getCompleted(): number;
  getFailures(): number;
  getWarnings(): number;
  getErrorComment(): string;
}

/**
 * C-MOVE of a study (or one of its series) to `destinationAe`: the peer opens its own
 * association to that AE title and C-STOREs the instances there. Resolves with the final counts.
 */
export async function cMove(peer: DimsePeer, callingAe: string, destinationAe: string, studyInstanceUid: string, seriesInstanceUid?: string, opts: AssociationOptions = {}): Promise<MoveOutcome> {
  const req = seriesInstanceUid
    ? requests.CMoveRequest.createSeriesMoveRequest(destinationAe, studyInstanceUid, seriesInstanceUid)
    : requests.CMoveRequest.createStudyMoveRequest(destinationAe, studyInstanceUid);
  let last: MoveOutcome | undefined;
  let comment = '';
  req.on('response', (res: MoveResponse) => {
    const status = res.getStatus();
    const n = (f: () => number) => {
      const v = Number(f());
      return Number.isFinite(v) ? v : 0;
    };
    last = { status, completed: n(() => res.getCompleted()), failed: n(() => res.getFailures()), warnings: n(() => res.getWarnings()) };
    if (statusClass(status) !== 'pending') comment = res.getErrorComment?.() ?? '';
  });
  await runAssociation(peer, callingAe, [req], { pduTimeout: 300_000, ...opts });
  if (!last || statusClass(last.status) === 'pending') throw new PacsError('PACS_FAILED', `${peerName(peer)} ended the C-MOVE without a final status`);
  if (statusClass(last.status) === 'failure' && last.completed === 0) {
    const hint = last.status === 0xa801 ? ` (move destination ${destinationAe} unknown to the PACS: add it there with this server's host and DICOM port)` : '';
    throw new PacsError('PACS_FAILED', `${peerName(peer)} refused the C-MOVE to ${destinationAe}: status 0x${last.status.toString(16).padStart(4, '0')}${hint}${comment ? ` ${comment}` : ''}`, comment);
  }
  return last;
}

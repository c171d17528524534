/**
 * QIDO-RS (search) and WADO-RS (retrieve) against a DICOMweb server (PS3.18 10.6, 10.4):
 * studies by accession number and/or date, the series of a study, and a series' instances
 * as Part 10 files (multipart/related; type="application/dicom"). Same result shapes as the
 * C-FIND side (query-dimse.ts), without the patient's name or ID.
 */
import { PacsError } from './send-dimse.js';
import type { SeriesMatch, StudyMatch, StudyQuery } from './query-dimse.js';
import { readMultipart } from './send-stow.js';
import { httpFailure, webBase, webRequest, whoOf, type Silence, type WebAuth } from './web-request.js';

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

const first = (d: DicomJson, tag: string): string | null => {
  const v = d[tag]?.Value?.[0];
  if (v === undefined || v === null) return null;
  // PN values come as {Alphabetic: …}; none are read here, but keep any object readable.
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.trim() || null;
};
const num = (d: DicomJson, tag: string): number | null => {
  const s = first(d, tag);
  const n = s === null ? NaN : Number(s);
  return Number.isFinite(n) ? n : null;
};

async function getJson(url: string, auth: WebAuth): Promise<DicomJson[]> {
  // 204 No Content: no match (its empty body reads as an empty array below).
  const { response: r, body: text } = await webRequest('QIDO-RS', url, auth, { headers: { accept: 'application/dicom+json' } });
  if (!r.ok) throw httpFailure('QIDO-RS', url, auth, r.status, text);
  try {
    const doc = JSON.parse(text || '[]') as DicomJson[];
    if (!Array.isArray(doc)) throw new Error('not an array');
    return doc;
  } catch (e) {
    throw new PacsError('PACS_FAILED', `QIDO-RS ${whoOf(url, auth)}: the answer is not a DICOM JSON array (${(e as Error).message})`);
  }
}

/** GET {base}/studies?AccessionNumber=…&StudyDate=… */
export async function qidoStudies(base: string, q: StudyQuery, auth: WebAuth = {}): Promise<StudyMatch[]> {
  const params = new URLSearchParams();
  if (q.accession) params.set('AccessionNumber', q.accession);
  if (q.date) params.set('StudyDate', q.date);
  for (const f of ['StudyDescription', 'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances', 'StudyTime']) params.append('includefield', f);
  const rows = await getJson(`${webBase(base)}/studies?${params}`, auth);
  return rows
    .map((d) => ({
      studyInstanceUid: first(d, '0020000D') ?? '',
      accessionNumber: first(d, '00080050'),
      studyDate: first(d, '00080020'),
      studyTime: first(d, '00080030'),
      studyDescription: first(d, '00081030'),
      modalities: (d['00080061']?.Value ?? []).map(String),
      series: num(d, '00201206'),
      instances: num(d, '00201208'),
    }))
    .filter((m) => m.studyInstanceUid);
}

/** GET {base}/studies/{uid}/series */
export async function qidoSeries(base: string, studyInstanceUid: string, auth: WebAuth = {}): Promise<SeriesMatch[]> {
  const params = new URLSearchParams();
  for (const f of ['SeriesDescription', 'NumberOfSeriesRelatedInstances']) params.append('includefield', f);
  const rows = await getJson(`${webBase(base)}/studies/${encodeURIComponent(studyInstanceUid)}/series?${params}`, auth);
  return rows
    .map((d) => ({
      studyInstanceUid,
      seriesInstanceUid: first(d, '0020000E') ?? '',
      seriesNumber: num(d, '00200011'),
      modality: first(d, '00080060'),
      seriesDescription: first(d, '0008103E'),
      instances: num(d, '00201209'),
    }))
    .filter((m) => m.seriesInstanceUid)
    .sort((a, b) => (a.seriesNumber ?? 1e9) - (b.seriesNumber ?? 1e9));
}

/** GET {base}/studies/{study}/series/{series} (or the whole study): the instances as Part 10 files. */
export async function wadoRetrieve(base: string, studyInstanceUid: string, seriesInstanceUid: string | undefined, auth: WebAuth = {}): Promise<Uint8Array[]> {
  const url = `${webBase(base)}/studies/${encodeURIComponent(studyInstanceUid)}${seriesInstanceUid ? `/series/${encodeURIComponent(seriesInstanceUid)}` : ''}`;
  const { response: r, body } = await webRequest('WADO-RS', url, auth, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } }, { read: readAll });
  if (!r.ok) throw httpFailure('WADO-RS', url, auth, r.status, body.subarray(0, 300).toString('utf8'));
  const parts = readMultipart(body, r.headers.get('content-type') ?? '', `WADO-RS ${whoOf(url, auth)}`);
  const files = parts.filter((p) => p.contentType === '' || p.contentType === 'application/dicom').map((p) => p.bytes);
  if (files.length === 0) throw new PacsError('PACS_FAILED', `WADO-RS ${whoOf(url, auth)}: the answer holds no application/dicom part`);
  return files;
}

/** The whole body of a retrieve: a study may take minutes, so silence counts between chunks, not in all. */
async function readAll(r: Response, quiet: Silence): Promise<Buffer> {
  quiet.touch();
  if (!r.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  const reader = r.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    quiet.touch();
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

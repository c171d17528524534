/**
 * STOW-RS client (PS3.18 10.5): Part 10 files POSTed to {base}/studies as one
 * multipart/related body of application/dicom parts; the answer's Store Instances Response
 * (DICOM JSON) says which were stored (00081199) and which failed, with why (00081198).
 */
import { randomBytes } from 'node:crypto';
import { boundaryOf, multipartParts } from './receive-stow.js';
import { PacsError } from './send-dimse.js';
import type { StoreOutcome } from './send-dimse.js';
import { httpFailure, webBase, webRequest, whoOf, WEB_SILENCE_MS, type WebAuth } from './web-request.js';

/** STOW-RS: the slowest upload waited for (bytes per second), on top of WEB_SILENCE_MS for the answer. */
export const STOW_MIN_BYTES_PER_S = 1 << 20;

/** One multipart/related body of application/dicom parts. */
export function multipartDicom(files: Uint8Array[]): { body: Uint8Array; contentType: string } {
  const boundary = `s2p-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\nContent-Length: ${f.length}\r\n\r\n`, 'latin1'));
    chunks.push(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
    chunks.push(Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  const body = Buffer.concat(chunks);
  return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

/** The parts of a multipart/related answer (receive-stow.ts reads them); a malformed one is the PACS's failure. */
export function readMultipart(body: Buffer, contentType: string, from: string): { contentType: string; bytes: Uint8Array }[] {
  try {
    return multipartParts(body, boundaryOf(contentType));
  } catch (e) {
    throw new PacsError('PACS_FAILED', `${from}: ${(e as Error).message}`);
  }
}

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

/** POST {base}/studies: each file's outcome by SOP Instance UID. */
export async function stowRs(base: string, files: { bytes: Uint8Array; sopInstanceUid: string }[], auth: WebAuth = {}): Promise<StoreOutcome[]> {
  const url = `${webBase(base)}/studies`;
  const { body, contentType } = multipartDicom(files.map((f) => f.bytes));
  // The upload's time on top of the silence allowed for the answer.
  const silenceMs = (auth.silenceMs ?? WEB_SILENCE_MS) + Math.ceil((body.length / STOW_MIN_BYTES_PER_S) * 1000);
  const { response: r, body: text } = await webRequest('STOW-RS', url, auth, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/dicom+json' }, body }, { silenceMs });
  // 200: all stored; 202: some failed or with warnings; 409: none stored (PS3.18 10.5.3).
  if (![200, 202, 409].includes(r.status)) throw httpFailure('STOW-RS', url, auth, r.status, text);
  let doc: DicomJson = {};
  try {
    const parsed = text ? (JSON.parse(text) as DicomJson | DicomJson[]) : {};
    doc = Array.isArray(parsed) ? (parsed[0] ?? {}) : parsed;
  } catch {
    if (r.status !== 200) throw new PacsError('PACS_FAILED', `STOW-RS ${whoOf(url, auth)}: HTTP ${r.status} with an answer that is not DICOM JSON`);
  }
  const uidOf = (item: DicomJson) => String(item['00081155']?.Value?.[0] ?? '');
  const stored = new Set(((doc['00081199']?.Value ?? []) as DicomJson[]).map(uidOf));
  const failed = new Map(((doc['00081198']?.Value ?? []) as DicomJson[]).map((it) => [uidOf(it), Number(it['00081197']?.Value?.[0] ?? 0x0110)] as const));
  return files.map((f) => {
    if (failed.has(f.sopInstanceUid)) return { sopInstanceUid: f.sopInstanceUid, status: failed.get(f.sopInstanceUid)!, ok: false, comment: 'listed as failed by the STOW-RS answer' };
    if (stored.has(f.sopInstanceUid) || (r.status === 200 && stored.size === 0)) return { sopInstanceUid: f.sopInstanceUid, status: 0, ok: true };
    return { sopInstanceUid: f.sopInstanceUid, status: 0x0110, ok: false, comment: `not in the STOW-RS answer (HTTP ${r.status})` };
  });
}

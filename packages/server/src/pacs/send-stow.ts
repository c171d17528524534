/**
 * STOW-RS client (PS3.18 10.5): Part 10 files POSTed to {base}/studies as one
 * multipart/related body of application/dicom parts; the answer's Store Instances Response
 * (DICOM JSON) says which were stored (00081199) and which failed, with why (00081198).
 */
import { randomBytes } from 'node:crypto';
import { boundaryOf, multipartParts } from './receive-stow.js';
import { PacsError } from './send-dimse.js';
import type { StoreOutcome } from './send-dimse.js';

/** A DICOMweb base URL without its trailing slash (…/dicom-web). */
export const webBase = (url: string) => url.replace(/\/+$/, '');

export interface WebAuth {
  /** Extra request headers (e.g. Authorization: Bearer …); never logged. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The destination as errors name it (its name); the URL is named too. */
  peer?: string;
  /** How long the server may stay silent (default WEB_SILENCE_MS; STOW-RS adds upload time). */
  silenceMs?: number;
}

/**
 * How long a DICOMweb server may stay silent: before it answers a query or a stored study,
 * and between the chunks of a retrieve. Comparable to a DIMSE destination's 10 s to accept
 * an association, longer because the answer is the work itself (a QIDO-RS search, a
 * WADO-RS study being read from disk). Without it a server that accepts the connection and
 * never answers holds the request for minutes, then reads as "could not connect".
 */
export const WEB_SILENCE_MS = 30_000;
/** STOW-RS: the slowest upload waited for (bytes per second), on top of WEB_SILENCE_MS for the answer. */
export const STOW_MIN_BYTES_PER_S = 1 << 20;

/** A timer that aborts a request when the server stays silent for `ms`; touch() when it spoke. */
export interface Silence {
  signal: AbortSignal;
  touch(): void;
  /** The error to throw when the request failed: a timeout naming the destination, else `otherwise`. */
  failure(what: string, otherwise: PacsError): PacsError;
  clear(): void;
}

export function silence(url: string, auth: WebAuth, ms = auth.silenceMs ?? WEB_SILENCE_MS): Silence {
  const ctl = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new Error('timed out'));
    }, ms);
  };
  touch();
  const signal = auth.signal ? AbortSignal.any([auth.signal, ctl.signal]) : ctl.signal;
  return {
    signal,
    touch,
    failure(what, otherwise) {
      if (!timedOut) return otherwise;
      return new PacsError('PACS_TIMEOUT', `${what} ${whoOf(url, auth)}: timed out, no answer within ${Math.round(ms / 1000)} s (the server accepted the connection)`);
    },
    clear: () => clearTimeout(timer),
  };
}

/** The destination in an error: its name and the URL, or the URL. */
export const whoOf = (url: string, auth: WebAuth) => (auth.peer ? `to ${auth.peer} (${url})` : url);

/** Why fetch failed: undici puts the network's reason in `cause`. */
export const fetchReason = (e: unknown) => (e instanceof Error && e.cause instanceof Error ? e.cause.message : (e as Error).message);

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
  const quiet = silence(url, auth, (auth.silenceMs ?? WEB_SILENCE_MS) + Math.ceil((body.length / STOW_MIN_BYTES_PER_S) * 1000));
  let r: Response;
  let text: string;
  try {
    try {
      r = await fetch(url, { method: 'POST', headers: { ...auth.headers, 'content-type': contentType, accept: 'application/dicom+json' }, body, signal: quiet.signal });
    } catch (e) {
      throw quiet.failure('STOW-RS', new PacsError('PACS_UNREACHABLE', `STOW-RS ${whoOf(url, auth)}: could not connect (${fetchReason(e)})`));
    }
    try {
      text = await r.text();
    } catch (e) {
      throw quiet.failure('STOW-RS', new PacsError('PACS_FAILED', `STOW-RS ${whoOf(url, auth)}: the answer broke off (${fetchReason(e)})`));
    }
  } finally {
    quiet.clear();
  }
  // 200: all stored; 202: some failed or with warnings; 409: none stored (PS3.18 10.5.3).
  if (![200, 202, 409].includes(r.status)) throw new PacsError('PACS_FAILED', `STOW-RS ${whoOf(url, auth)}: HTTP ${r.status} ${text.slice(0, 300).replace(/\s+/g, ' ')}`);
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

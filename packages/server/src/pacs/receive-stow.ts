/**
 * STOW-RS (PS3.18 10.5): a multipart/related body of application/dicom parts, each a Part 10
 * file. Parsed here (the body is one buffer already; @fastify/multipart reads form-data
 * only), answered with the Store Instances Response Module in DICOM JSON.
 */
import dicomParser from 'dicom-parser';
import { HttpError } from '../http/errors.js';

export interface StowPart {
  contentType: string;
  bytes: Uint8Array;
}

/** The boundary parameter of a multipart Content-Type, or a 415 naming what is wrong. */
export function boundaryOf(contentType: string | undefined): string {
  const ct = contentType ?? '';
  if (!/^multipart\/related\b/i.test(ct)) {
    throw new HttpError(415, 'NOT_MULTIPART_RELATED', 'STOW-RS takes Content-Type: multipart/related; type="application/dicom"; boundary=…');
  }
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(ct);
  const b = m?.[1] ?? m?.[2];
  if (!b) throw new HttpError(400, 'NO_BOUNDARY', 'the multipart/related Content-Type has no boundary parameter');
  return b;
}

/** The parts of a multipart body (RFC 2046): headers parsed, bodies as views of the buffer. */
export function multipartParts(body: Buffer, boundary: string): StowPart[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: StowPart[] = [];
  let at = body.indexOf(delim);
  if (at < 0) throw new HttpError(400, 'BAD_MULTIPART', 'the body holds no part with the given boundary');
  for (;;) {
    at += delim.length;
    // "--" after a delimiter closes the body.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break;
    const headStart = body.indexOf('\r\n', at);
    if (headStart < 0) break;
    const headEnd = body.indexOf('\r\n\r\n', headStart);
    if (headEnd < 0) throw new HttpError(400, 'BAD_MULTIPART', 'a part has no end of headers');
    const headers = body.subarray(headStart + 2, headEnd).toString('latin1');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headEnd + 4);
    if (next < 0) throw new HttpError(400, 'BAD_MULTIPART', 'the body ends inside a part (no closing boundary)');
    const ct = /^content-type:\s*([^\r\n;]+)/im.exec(headers)?.[1]?.trim().toLowerCase() ?? 'application/dicom';
    const bytes = body.subarray(headEnd + 4, next);
    parts.push({ contentType: ct, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    at = next + 2;
  }
  return parts;
}

/**
 * SOP Class and Instance UID of a part, for the response (the sender's own identifiers,
 * answered to it only), and its Study Instance UID, held against the one a request names.
 */
export function sopOf(bytes: Uint8Array): { classUid: string | null; instanceUid: string | null; studyUid: string | null } {
  try {
    const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
    return {
      classUid: (ds.string('x00080016') ?? ds.string('x00020002'))?.trim() || null,
      instanceUid: (ds.string('x00080018') ?? ds.string('x00020003'))?.trim() || null,
      studyUid: ds.string('x0020000d')?.trim() || null,
    };
  } catch {
    return { classUid: null, instanceUid: null, studyUid: null };
  }
}

/** Failure reasons (PS3.18 Table 10.5.3-1 / PS3.4 C-STORE statuses). */
export const STOW_FAILURE = {
  processing: 0x0110,
  refused: 0xa700 /* refused: here, identifiable */,
  cannotUnderstand: 0xc000,
  sopClassNotSupported: 0x0122,
  /** Not of the study the request's URL names (PS3.18 10.5: stored into that study only); the standard gives no own code. */
  otherStudy: 0x0110,
};

/** The Store Instances Response Module (PS3.18 10.5.3) as DICOM JSON. */
export function stowResponse(ok: { classUid: string | null; instanceUid: string | null }[], failed: { classUid: string | null; instanceUid: string | null; reason: number }[]) {
  const ui = (v: string | null) => (v ? { vr: 'UI', Value: [v] } : { vr: 'UI' });
  const out: Record<string, unknown> = {};
  if (failed.length) {
    out['00081198'] = { vr: 'SQ', Value: failed.map((f) => ({ '00081150': ui(f.classUid), '00081155': ui(f.instanceUid), '00081197': { vr: 'US', Value: [f.reason] } })) };
  }
  if (ok.length) out['00081199'] = { vr: 'SQ', Value: ok.map((f) => ({ '00081150': ui(f.classUid), '00081155': ui(f.instanceUid) })) };
  return out;
}

/**
 * Text-carrying marker segments inside compressed pixel data (issue 13, class 5).
 *
 * JPEG (ISO 10918), JPEG-LS (ISO 14495) and JPEG 2000 / HTJ2K (ISO 15444) code streams may hold
 * free text that no DICOM attribute shows: JPEG COM and APPn segments (EXIF, XMP, vendor
 * comments), J2K COM marker segments, JP2 xml/uuid boxes. Scanners and converters have written
 * patient names there. This file (JPEG, JPEG-LS) and pixel-markers-j2k.ts (JPEG 2000) remove those
 * segments and nothing else: every segment a decoder needs, and the entropy-coded data, are
 * copied byte for byte, so decoded pixels are identical.
 *
 * What is kept in JPEG and JPEG-LS: APP0 only when it is JFIF, and only its fixed 14-byte header
 * (it tells a decoder the colour space; a thumbnail after it, an image of anything, is cut and the
 * thumbnail size set to 0 × 0), and APP14 only when it is the fixed-size "Adobe" segment (its
 * transform flag decides the colour conversion). Every other APPn (JFXX, the JFIF extension that
 * holds only a thumbnail, included) and COM is removed.
 * A code stream whose structure we cannot follow (an unknown marker, a segment running past the
 * end, no EOI) is not passed through: PixelMarkerError is thrown and the caller refuses the file.
 *
 * Pure TypeScript over Uint8Array: runs in the browser and in Node.
 */
import { ascii, assemble, hex2, isEncoderSignature, isPadding, PixelMarkerError, type RemovedMarker, type StripResult } from './pixel-markers-common.js';
import { stripJpeg2000 } from './pixel-markers-j2k.js';

export { isEncoderSignature, PixelMarkerError, type RemovedMarker, type StripResult } from './pixel-markers-common.js';

export type CodeStreamKind = 'jpeg' | 'jpeg-ls' | 'jpeg2000';

const JPEG_TS = new Set([
  '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.52', '1.2.840.10008.1.2.4.53', '1.2.840.10008.1.2.4.54',
  '1.2.840.10008.1.2.4.55', '1.2.840.10008.1.2.4.56', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.58', '1.2.840.10008.1.2.4.59',
  '1.2.840.10008.1.2.4.60', '1.2.840.10008.1.2.4.61', '1.2.840.10008.1.2.4.62', '1.2.840.10008.1.2.4.63', '1.2.840.10008.1.2.4.64',
  '1.2.840.10008.1.2.4.65', '1.2.840.10008.1.2.4.66', '1.2.840.10008.1.2.4.70',
]);
const JPEG_LS_TS = new Set(['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']);
const J2K_TS = new Set([
  '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.92', '1.2.840.10008.1.2.4.93',
  '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203',
]);
/** Encapsulated syntaxes whose fragments hold no marker syntax (RLE's room for text, after its segments' data, is pixel-markers-rle.ts's). */
const NO_MARKERS_TS = new Set(['1.2.840.10008.1.2.5', '1.2.840.10008.1.2.1.98']);

/**
 * Which code stream a transfer syntax carries: a kind, 'none' (RLE, encapsulated uncompressed:
 * nothing to strip), or undefined (video, JPEG XL, unknown: we cannot parse it, so the caller
 * must refuse encapsulated pixel data in it).
 */
export function codeStreamKind(transferSyntax: string): CodeStreamKind | 'none' | undefined {
  if (JPEG_TS.has(transferSyntax)) return 'jpeg';
  if (JPEG_LS_TS.has(transferSyntax)) return 'jpeg-ls';
  if (J2K_TS.has(transferSyntax)) return 'jpeg2000';
  if (NO_MARKERS_TS.has(transferSyntax)) return 'none';
  return undefined;
}

/**
 * Removes text-carrying marker segments from one frame's code stream. Throws PixelMarkerError
 * when the stream cannot be followed, or when the transfer syntax is one we cannot parse.
 */
export function stripTextMarkers(frame: Uint8Array, transferSyntax: string): StripResult {
  const kind = codeStreamKind(transferSyntax);
  if (kind === undefined) {
    throw new PixelMarkerError(`transfer syntax ${transferSyntax} holds a code stream we cannot check for embedded text`);
  }
  if (kind === 'none') return { bytes: frame, removed: [] };
  if (kind === 'jpeg2000') return stripJpeg2000(frame);
  return stripJpeg(frame, kind === 'jpeg-ls');
}

/** The text-carrying segments of one frame (what stripTextMarkers would remove); throws like it. */
export function findTextMarkers(frame: Uint8Array, transferSyntax: string): RemovedMarker[] {
  return stripTextMarkers(frame, transferSyntax).removed;
}

// ---------------------------------------------------------------- JPEG and JPEG-LS

/** Markers with a length field that decoders need (ISO 10918-1 B.1.1.3, ISO 14495-1 C.1). */
function isImageSegment(m: number, ls: boolean): boolean {
  if (m >= 0xc0 && m <= 0xcf && m !== 0xc8) return true; // SOFn, DHT (C4), DAC (CC)
  if (m >= 0xda && m <= 0xdf) return true; // SOS, DQT, DNL, DRI, DHP, EXP
  return ls && (m === 0xf7 || m === 0xf8); // JPEG-LS SOF55, LSE
}

function stripJpeg(b: Uint8Array, ls: boolean): StripResult {
  const name = ls ? 'JPEG-LS' : 'JPEG';
  const fail = (why: string, at: number): never => {
    throw new PixelMarkerError(`${name} code stream: ${why} at byte ${at}`);
  };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) fail('no SOI marker (FFD8)', 0);
  const removed: RemovedMarker[] = [];
  const parts: Uint8Array[] = [];
  let keepFrom = 0;
  let pos = 2;
  const drop = (from: number, to: number, marker: string): void => {
    if (from > keepFrom) parts.push(b.subarray(keepFrom, from));
    keepFrom = to;
    removed.push({ marker, bytes: to - from });
  };
  for (;;) {
    if (pos + 2 > b.length) fail('no EOI marker (FFD9) before the end', pos);
    if (b[pos] !== 0xff) fail(`expected a marker, found ${hex2(b[pos]!)}`, pos);
    // Fill bytes (FF FF …) may precede a marker.
    let m = b[pos + 1]!;
    while (m === 0xff && pos + 2 < b.length) m = b[++pos + 1]!;
    const at = pos;
    if (m === 0xd9) {
      pos += 2;
      break;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) fail(`unexpected marker FF${hex2(m)}`, at);
    if (pos + 4 > b.length) fail(`marker FF${hex2(m)} without a length`, at);
    const len = (b[pos + 2]! << 8) | b[pos + 3]!;
    const end = pos + 2 + len;
    if (len < 2 || end > b.length) fail(`segment FF${hex2(m)} of ${len} bytes runs past the end (${b.length} bytes)`, at);
    if (m === 0xfe) {
      if (!isEncoderSignature(ascii(b, pos + 4, len - 2))) drop(at, end, 'COM');
    }
    else if (m >= 0xe0 && m <= 0xef) {
      const n = m - 0xe0;
      const id = ascii(b, pos + 4, Math.min(5, len - 2));
      const jfif = n === 0 && id === 'JFIF\0' && len >= JFIF_LENGTH;
      // Adobe APP14 is fixed-size (12 bytes of parameters): version, two flags, transform.
      const adobe = n === 14 && id === 'Adobe' && len === 14;
      if (jfif && len > JFIF_LENGTH) {
        drop(at, end, 'APP0 JFIF thumbnail');
        parts.push(jfifHeaderOnly(b.subarray(at, at + 2 + JFIF_LENGTH)));
      } else if (!jfif && !adobe) drop(at, end, `APP${n}`);
    } else if (!isImageSegment(m, ls)) fail(`unknown marker FF${hex2(m)}`, at);
    pos = end;
    if (m === 0xda) pos = skipEntropyData(b, pos, ls, fail);
  }
  // After EOI: DICOM pads a fragment to even length; anything else is not image data.
  const trailingText = !isPadding(b, pos);
  if (trailingText) drop(pos, b.length, 'trailing data');
  if (removed.length === 0) return { bytes: b, removed };
  parts.push(b.subarray(keepFrom, trailingText ? pos : b.length));
  return { bytes: assemble(b, parts), removed };
}

/** Length field of a JFIF APP0 without thumbnail: "JFIF\0", version, units, densities, thumbnail size. */
const JFIF_LENGTH = 16;

/** A JFIF APP0 segment's first 18 bytes (marker, length 16, the header) with no thumbnail: 0 × 0. */
function jfifHeaderOnly(head: Uint8Array): Uint8Array {
  const out = head.slice();
  out[2] = 0;
  out[3] = JFIF_LENGTH;
  out[16] = 0;
  out[17] = 0;
  return out;
}

/** From the byte after an SOS segment, the position of the next marker that ends the scan. */
function skipEntropyData(b: Uint8Array, pos: number, ls: boolean, fail: (why: string, at: number) => never): number {
  for (let i = pos; i + 1 < b.length; i++) {
    if (b[i] !== 0xff) continue;
    const n = b[i + 1]!;
    // JPEG stuffs FF 00 and restarts with RSTn; JPEG-LS stuffs a 0 bit (next byte < 0x80).
    if (ls ? n < 0x80 : n === 0x00) continue;
    if (n >= 0xd0 && n <= 0xd7) {
      i++;
      continue;
    }
    if (n === 0xff) continue;
    return i;
  }
  return fail('scan data without a following marker', pos);
}

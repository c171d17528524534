/**
 * Text-carrying marker segments inside compressed pixel data (issue 13, class 5).
 *
 * JPEG (ISO 10918), JPEG-LS (ISO 14495) and JPEG 2000 / HTJ2K (ISO 15444) code streams may hold
 * free text that no DICOM attribute shows: JPEG COM and APPn segments (EXIF, XMP, vendor
 * comments), J2K COM marker segments, JP2 xml/uuid boxes. Scanners and converters have written
 * patient names there. This file removes those segments and nothing else: every segment a decoder
 * needs, and the entropy-coded data, are copied byte for byte, so decoded pixels are identical.
 *
 * What is kept in JPEG and JPEG-LS: APP0 only when it is JFIF/JFXX (a fixed header, no text; it
 * tells a decoder the colour space) and APP14 only when it is the fixed-size "Adobe" segment
 * (its transform flag decides the colour conversion). Every other APPn and COM is removed.
 * A code stream whose structure we cannot follow (an unknown marker, a segment running past the
 * end, no EOI) is not passed through: PixelMarkerError is thrown and the caller refuses the file.
 *
 * Pure TypeScript over Uint8Array: runs in the browser and in Node.
 */
import { joinBytes } from '../formats/join-bytes.js';

export interface RemovedMarker {
  /** Marker name: "COM", "APP1" … "APP15", "J2K COM", "JP2 box xml ", "trailing data". */
  marker: string;
  /** Bytes removed, marker and length fields included. */
  bytes: number;
}

export interface StripResult {
  /** The code stream without text segments (the input itself when nothing was removed). */
  bytes: Uint8Array;
  removed: RemovedMarker[];
}

export type CodeStreamKind = 'jpeg' | 'jpeg-ls' | 'jpeg2000';

/** A code stream that cannot be followed safely; the message says where and why. */
export class PixelMarkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PixelMarkerError';
  }
}

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
/** Encapsulated syntaxes whose fragments hold no marker syntax and no room for text. */
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

/** Concatenates kept ranges of `src`, or returns `src` itself when the ranges cover it whole. */
function assemble(src: Uint8Array, parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 && parts[0]!.length === src.length ? src : joinBytes(parts);
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function ascii(b: Uint8Array, from: number, n: number): string {
  let s = '';
  for (let i = from; i < from + n && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

// ---------------------------------------------------------------- JPEG and JPEG-LS

/**
 * Comments that encoders write into every code stream ("Kakadu-v7.10.7", "Created by OpenJPEG
 * version 2.3.1"): kept, so files without added text stay byte for byte as they were. The patterns
 * are anchored and admit only a product name with a dotted version, or Kakadu's table of numbers.
 */
const ENCODER_SIGNATURES = [
  /^Kakadu-v?s?\d+(\.\d+)*$/,
  /^Created by (GDCM\/)?OpenJPEG version \d+(\.\d+)*$/,
  // Kakadu's rate table: a fixed title, then "slope, bytes" lines of numbers only.
  /^Kdu-Layer-Info: log_2\{Delta-D\(squared-error\)\/Delta-L\(bytes\)\}, L\(bytes\)\n(-?\d+\.\d, +\d\.\de[+-]\d\d\n)*$/,
];

export function isEncoderSignature(text: string): boolean {
  return ENCODER_SIGNATURES.some((re) => re.test(text));
}

/** Whether bytes after the end marker are padding: all 00 (PS3.5 A.4) or all FF (JPEG fill bytes). */
function isPadding(b: Uint8Array, from: number): boolean {
  if (from >= b.length) return true;
  const v = b[from]!;
  if (v !== 0 && v !== 0xff) return false;
  for (let i = from; i < b.length; i++) if (b[i] !== v) return false;
  return true;
}


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
      const jfif = n === 0 && (id === 'JFIF\0' || id === 'JFXX\0');
      // Adobe APP14 is fixed-size (12 bytes of parameters): version, two flags, transform.
      const adobe = n === 14 && id === 'Adobe' && len === 14;
      if (!jfif && !adobe) drop(at, end, `APP${n}`);
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

// ---------------------------------------------------------------- JPEG 2000 / HTJ2K

const J2K = { SOC: 0xff4f, SOT: 0xff90, SOD: 0xff93, EOC: 0xffd9, COM: 0xff64, TLM: 0xff55 } as const;
/**
 * Marker segments a J2K header may hold (ISO 15444-1 A.2, Part 2 A.2, Part 15 CAP/CPF); COM is the only
 * one that carries text. Anything else is refused rather than copied unread.
 */
const J2K_SEGMENTS = new Set([
  0xff50, 0xff51, 0xff52, 0xff53, 0xff55, 0xff57, 0xff58, 0xff59, 0xff5c, 0xff5d, 0xff5e, 0xff5f, 0xff60, 0xff61, 0xff63, 0xff64,
  0xff70, 0xff71, 0xff72, 0xff73, 0xff74, 0xff75, 0xff76, 0xff77, 0xff78, 0xff79, 0xff90,
]);

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}
function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function stripJpeg2000(b: Uint8Array): StripResult {
  if (b.length >= 12 && u32(b, 0) === 12 && ascii(b, 4, 4) === 'jP  ') return stripJp2(b);
  return stripCodestream(b);
}

/**
 * A bare code stream (SOC … EOC). COM segments are removed from the main header and from
 * tile-part headers; a tile-part that loses a COM gets its Psot lowered, and so does its entry in
 * the TLM marker segments when there are any. Packet data is copied as it is (it is skipped by
 * Psot, so a FF64 inside it is never mistaken for a marker).
 */
function stripCodestream(b: Uint8Array): StripResult {
  const fail = (why: string, at: number): never => {
    throw new PixelMarkerError(`JPEG 2000 code stream: ${why} at byte ${at}`);
  };
  if (b.length < 4 || u16(b, 0) !== J2K.SOC) fail('no SOC marker (FF4F)', 0);
  if (u16(b, 2) !== 0xff51) fail('SIZ (FF51) does not follow SOC', 2);
  const removed: RemovedMarker[] = [];
  // Output pieces: kept ranges, with Psot patches applied afterwards.
  const parts: Uint8Array[] = [];
  let keepFrom = 0;
  const drop = (from: number, to: number): void => {
    if (from > keepFrom) parts.push(b.subarray(keepFrom, from));
    keepFrom = to;
    removed.push({ marker: 'J2K COM', bytes: to - from });
  };
  const tlms: number[] = [];
  const tileParts: Array<{ psotAt: number; psot: number; removed: number }> = [];
  let pos = 2;
  let inTile: (typeof tileParts)[number] | undefined;
  let tileEnd = 0;
  for (;;) {
    if (pos + 2 > b.length) fail('no EOC marker (FFD9) before the end', pos);
    const m = u16(b, pos);
    if (m === J2K.EOC) {
      if (inTile) fail('EOC inside a tile-part header', pos);
      pos += 2;
      break;
    }
    if ((m & 0xff00) !== 0xff00) fail(`expected a marker, found ${m.toString(16).toUpperCase()}`, pos);
    if (m === J2K.SOD ? !inTile : !J2K_SEGMENTS.has(m)) fail(`unexpected marker ${m.toString(16).toUpperCase()}`, pos);
    if (m === J2K.SOD) {
      // Packet data runs to the end of the tile-part; Psot 0 (last tile-part only): to the final EOC.
      const t = inTile!;
      if (t.psot !== 0) pos = tileEnd;
      else {
        let e = b.length - 2;
        while (e > pos && u16(b, e) !== J2K.EOC) e--;
        if (e <= pos) fail('tile-part with Psot 0 and no EOC after it', t.psotAt);
        pos = e;
      }
      inTile = undefined;
      continue;
    }
    if (pos + 4 > b.length) fail(`marker ${m.toString(16).toUpperCase()} without a length`, pos);
    const len = u16(b, pos + 2);
    const end = pos + 2 + len;
    if (len < 2 || end > b.length) {
      fail(`segment ${m.toString(16).toUpperCase()} of ${len} bytes runs past the end (${b.length} bytes)`, pos);
    }
    if (m === J2K.SOT) {
      if (inTile || len !== 10) fail('malformed SOT', pos);
      const psot = u32(b, pos + 6);
      inTile = { psotAt: pos + 6, psot, removed: 0 };
      tileParts.push(inTile);
      tileEnd = pos + psot;
      if (psot !== 0 && (psot < 14 || tileEnd > b.length)) fail(`tile-part length ${psot} runs past the end (${b.length} bytes)`, pos);
    } else if (m === J2K.COM) {
      // Rcom 1: Latin text; an encoder's signature stays, anything else (text or binary) goes.
      if (u16(b, pos + 4) === 1 && isEncoderSignature(ascii(b, pos + 6, len - 4))) {
        pos = end;
        continue;
      }
      drop(pos, end);
      if (inTile) inTile.removed += len + 2;
    } else if (m === J2K.TLM) {
      if (inTile) fail('TLM in a tile-part header', pos);
      tlms.push(pos);
    }
    pos = end;
    if (inTile && inTile.psot !== 0 && pos > tileEnd) fail('tile-part header runs past its Psot', pos);
  }
  if (!isPadding(b, pos)) {
    if (pos > keepFrom) parts.push(b.subarray(keepFrom, pos));
    keepFrom = b.length;
    removed.push({ marker: 'trailing data', bytes: b.length - pos });
  }
  if (removed.length === 0) return { bytes: b, removed };
  if (keepFrom < b.length) parts.push(b.subarray(keepFrom));
  const out = assemble(b, parts).slice();
  // Patch Psot of tile-parts that lost bytes; positions shift by what was removed before them.
  const shift = (p: number): number => {
    let s = 0;
    let o = 0;
    for (const part of parts) {
      const start = part.byteOffset - b.byteOffset;
      if (p >= start && p < start + part.length) return o + (p - start);
      o += part.length;
      s++;
    }
    throw new PixelMarkerError(`JPEG 2000 code stream: internal error mapping byte ${p} (${s} parts)`);
  };
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const t of tileParts) if (t.removed && t.psot !== 0) dv.setUint32(shift(t.psotAt), t.psot - t.removed, false);
  if (tlms.length > 0 && tileParts.some((t) => t.removed)) patchTlm(b, out, tlms.map(shift), tileParts, tlms);
  return { bytes: out, removed };
}

/** Lowers the tile-part lengths in TLM marker segments (in Ztlm order, one entry per tile-part). */
function patchTlm(
  src: Uint8Array,
  out: Uint8Array,
  outAt: number[],
  tileParts: Array<{ psot: number; removed: number }>,
  srcAt: number[],
): void {
  const order = srcAt.map((p, i) => ({ z: src[p + 4]!, i })).sort((a, c) => a.z - c.z);
  let k = 0;
  for (const { i } of order) {
    const p = srcAt[i]!;
    const o = outAt[i]!;
    const len = u16(src, p + 2);
    const stlm = src[p + 5]!;
    const st = (stlm >> 4) & 3;
    const sp = (stlm >> 6) & 1;
    if (st === 3) throw new PixelMarkerError(`JPEG 2000 code stream: invalid Stlm at byte ${p + 5}`);
    const entry = st + (sp ? 4 : 2);
    for (let e = p + 6; e + entry <= p + 2 + len; e += entry, k++) {
      const t = tileParts[k];
      if (!t) throw new PixelMarkerError(`JPEG 2000 code stream: TLM lists more tile-parts than the stream holds (byte ${p})`);
      if (!t.removed) continue;
      const at = o + (e - p) + st;
      const v = t.psot - t.removed;
      if (sp) new DataView(out.buffer, out.byteOffset).setUint32(at, v, false);
      else new DataView(out.buffer, out.byteOffset).setUint16(at, v, false);
    }
  }
}

/** Boxes a JP2 reader needs; every other box (xml, uuid, uinf, IPR, …) may hold text and is dropped. */
const JP2_KEEP = new Set(['jP  ', 'ftyp', 'rreq', 'jp2h']);

/** A JP2 file (ISO 15444-1 Annex I): the codestream box is stripped too; its length is rewritten. */
function stripJp2(b: Uint8Array): StripResult {
  const fail = (why: string, at: number): never => {
    throw new PixelMarkerError(`JP2 file: ${why} at byte ${at}`);
  };
  const removed: RemovedMarker[] = [];
  const parts: Uint8Array[] = [];
  let pos = 0;
  let codestreams = 0;
  while (pos < b.length) {
    if (pos + 8 > b.length) {
      // DICOM pads to even length; a stray zero byte after the last box is that padding.
      if (b.subarray(pos).every((x) => x === 0)) break;
      fail('box header runs past the end', pos);
    }
    let len = u32(b, pos);
    const type = ascii(b, pos + 4, 4);
    let header = 8;
    if (len === 1) {
      if (pos + 16 > b.length) fail('box header runs past the end', pos);
      const hi = u32(b, pos + 8);
      if (hi !== 0) fail('box larger than 4 GiB', pos);
      len = u32(b, pos + 12);
      header = 16;
    } else if (len === 0) len = b.length - pos;
    if (len < header || pos + len > b.length) fail(`box '${type}' of ${len} bytes runs past the end (${b.length} bytes)`, pos);
    const box = b.subarray(pos, pos + len);
    if (type === 'jp2c') {
      codestreams++;
      const inner = stripCodestream(box.subarray(header));
      removed.push(...inner.removed);
      if (inner.removed.length === 0) parts.push(box);
      else {
        const h = new Uint8Array(8);
        new DataView(h.buffer).setUint32(0, inner.bytes.length + 8, false);
        h.set([0x6a, 0x70, 0x32, 0x63], 4);
        parts.push(h, inner.bytes);
      }
    } else if (JP2_KEEP.has(type)) parts.push(box);
    else removed.push({ marker: `JP2 box ${JSON.stringify(type)}`, bytes: len });
    pos += len;
  }
  if (codestreams !== 1) fail(`${codestreams} codestream boxes (one expected)`, 0);
  if (removed.length === 0) return { bytes: b, removed };
  return { bytes: assemble(b, parts), removed };
}

/**
 * JPEG 2000 / HTJ2K (ISO 15444) for pixel-markers.ts: COM marker segments removed from bare code
 * streams (main and tile-part headers, with Psot and TLM lowered to match) and text boxes from JP2
 * files; every segment a decoder needs is copied byte for byte.
 */
import { ascii, assemble, isEncoderSignature, isPadding, PixelMarkerError, type RemovedMarker, type StripResult } from './pixel-markers-common.js';

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

export function stripJpeg2000(b: Uint8Array): StripResult {
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
const JP2_KEEP = new Set(['jP  ', 'ftyp', 'rreq']);

/**
 * Boxes of the JP2 header superbox (ISO 15444-1 I.5.3) that describe the image: header, bit
 * depths, colour, palette, component mapping and definition, resolution (numbers only).
 */
const JP2H_KEEP = new Set(['ihdr', 'bpcc', 'colr', 'pclr', 'cmap', 'cdef', 'res ']);

/** The content of a jp2h box less the boxes that are not JP2H_KEEP (`at`: its offset in the file, for errors). */
function jp2HeaderBoxes(b: Uint8Array, at: number, fail: (why: string, at: number) => never): StripResult {
  const removed: RemovedMarker[] = [];
  const parts: Uint8Array[] = [];
  for (let pos = 0; pos < b.length; ) {
    if (pos + 8 > b.length) fail('jp2h child box header runs past its end', at + pos);
    const len = u32(b, pos);
    const type = ascii(b, pos + 4, 4);
    if (len < 8 || pos + len > b.length) fail(`jp2h child box '${type}' of ${len} bytes runs past its end`, at + pos);
    if (JP2H_KEEP.has(type)) parts.push(b.subarray(pos, pos + len));
    else removed.push({ marker: `JP2 box ${JSON.stringify(`jp2h/${type}`)}`, bytes: len });
    pos += len;
  }
  return { bytes: removed.length === 0 ? b : assemble(b, parts), removed };
}

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
    if (type === 'jp2c' || type === 'jp2h') {
      if (type === 'jp2c') codestreams++;
      // The code stream stripped; the header superbox: its image boxes go on, anything else nested in it (an xml or uuid box) does not.
      const inner = type === 'jp2c' ? stripCodestream(box.subarray(header)) : jp2HeaderBoxes(box.subarray(header), pos + header, fail);
      removed.push(...inner.removed);
      if (inner.removed.length === 0) parts.push(box);
      else {
        const h = new Uint8Array(8);
        new DataView(h.buffer).setUint32(0, inner.bytes.length + 8, false);
        for (let i = 0; i < 4; i++) h[4 + i] = type.charCodeAt(i);
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

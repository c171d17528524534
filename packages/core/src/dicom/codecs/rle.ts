import { ScanError } from '../../errors.js';
import type { CodecFrame } from './wasm.js';

/**
 * DICOM RLE Lossless (PS3.5 Annex G), decoded here: the scheme is a few lines of
 * PackBits per byte plane and is defined by the standard itself.
 *
 * A frame starts with a 64-byte header (segment count, 15 segment offsets); segment
 * s holds byte plane s: for each sample (component), its bytes most significant first.
 * Every offset and run is bounds-checked; a frame whose segments decode to fewer bytes
 * than the image needs is refused as corrupt.
 */
export function decodeRleFrame(
  encoded: Uint8Array,
  rows: number,
  columns: number,
  samplesPerPixel: number,
  bitsAllocated: number,
  file: string,
): CodecFrame {
  const corrupt = (why: string): ScanError => new ScanError('CORRUPT_PIXEL_DATA', `RLE frame is corrupt: ${why}`, { kind: 'input', file });
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) throw corrupt(`BitsAllocated ${bitsAllocated} cannot be RLE encoded`);
  if (encoded.length < 64) throw corrupt('header shorter than 64 bytes');
  const dv = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const bytesPerSample = bitsAllocated / 8;
  const nSeg = dv.getUint32(0, true);
  const expected = bytesPerSample * samplesPerPixel;
  if (nSeg !== expected) throw corrupt(`${nSeg} segments, expected ${expected}`);
  const offsets: number[] = [];
  for (let s = 0; s < nSeg; s++) offsets.push(dv.getUint32(4 + 4 * s, true));
  const pixels = rows * columns;
  // PackBits expands at most 128 bytes per 2 input bytes: refuse before allocating
  // when the header promises more pixels than the frame could ever hold.
  if (pixels * nSeg > encoded.length * 64) throw corrupt(`${encoded.length} bytes cannot hold ${rows}×${columns} pixels`);
  const planes = new Uint8Array(pixels * nSeg);
  for (let s = 0; s < nSeg; s++) {
    const start = offsets[s]!;
    const end = s + 1 < nSeg ? offsets[s + 1]! : encoded.length;
    if (start < 64 || end > encoded.length || end < start) throw corrupt(`segment ${s + 1} offset ${start}..${end} outside the frame`);
    const n = unpackBits(encoded, start, end, planes, s * pixels, pixels).written;
    if (n < pixels) throw corrupt(`segment ${s + 1} decodes to ${n} bytes, expected ${pixels}`);
  }
  const count = pixels * samplesPerPixel;
  let samples: Uint8Array | Uint16Array;
  if (bytesPerSample === 1) {
    if (samplesPerPixel === 1) samples = planes;
    else {
      samples = new Uint8Array(count);
      for (let c = 0; c < samplesPerPixel; c++) {
        const base = c * pixels;
        for (let i = 0; i < pixels; i++) samples[i * samplesPerPixel + c] = planes[base + i]!;
      }
    }
  } else if (bytesPerSample === 2) {
    samples = new Uint16Array(count);
    for (let c = 0; c < samplesPerPixel; c++) {
      const hi = 2 * c * pixels;
      const lo = hi + pixels;
      for (let i = 0; i < pixels; i++) samples[i * samplesPerPixel + c] = (planes[hi + i]! << 8) | planes[lo + i]!;
    }
  } else {
    const out32 = new Uint32Array(count);
    for (let c = 0; c < samplesPerPixel; c++) {
      const b0 = 4 * c * pixels;
      for (let i = 0; i < pixels; i++) {
        out32[i * samplesPerPixel + c] =
          ((planes[b0 + i]! << 24) | (planes[b0 + pixels + i]! << 16) | (planes[b0 + 2 * pixels + i]! << 8) | planes[b0 + 3 * pixels + i]!) >>> 0;
      }
    }
    return { samples: out32, width: columns, height: rows, components: samplesPerPixel, bitsPerSample: 32, signed: false };
  }
  return { samples, width: columns, height: rows, components: samplesPerPixel, bitsPerSample: bitsAllocated, signed: false };
}

/**
 * PackBits from src[start, end) into dst[at, at + max) (or only walked, without `dst`): the
 * bytes written, and how far into src the runs that wrote them reach (`read`, past `end - start`
 * when the last literal run was cut short). The anonymiser walks segments with it to find bytes
 * after a segment's data (anonymise/pixel-markers-rle.ts).
 */
export function unpackBits(src: Uint8Array, start: number, end: number, dst: Uint8Array | undefined, at: number, max: number): { written: number; read: number } {
  let p = start;
  let o = 0;
  while (p < end && o < max) {
    const h = src[p++]!;
    if (h < 128) {
      // literal run of h + 1 bytes
      const n = Math.min(h + 1, end - p, max - o);
      dst?.set(src.subarray(p, p + n), at + o);
      p += h + 1;
      o += n;
    } else if (h > 128) {
      // replicate the next byte 257 - h times
      if (p >= end) break;
      const v = src[p++]!;
      const n = Math.min(257 - h, max - o);
      dst?.fill(v, at + o, at + o + n);
      o += n;
    }
    // h === 128: no operation
  }
  return { written: o, read: p - start };
}

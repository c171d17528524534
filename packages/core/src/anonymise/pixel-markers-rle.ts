/**
 * Bytes inside an RLE frame (PS3.5 Annex G) that no segment decodes: after a segment's PackBits
 * stream has produced its rows × columns bytes, whatever follows it up to the next segment (or
 * the frame's end) is read by no decoder, and can hold text, a name included. Zeros there are
 * padding and stay; anything else is removed, the segments are moved up and the header's
 * offsets rewritten. The decoded pixels stay identical.
 *
 * Pure TypeScript over Uint8Array: runs in the browser and in Node.
 */
import { unpackBits } from '../dicom/codecs/rle.js';
import { PixelMarkerError, type RemovedMarker, type StripResult } from './pixel-markers-common.js';

/** The RLE transfer syntax. */
export const RLE_TS = '1.2.840.10008.1.2.5';

/** Bytes of the RLE header: the segment count and 15 offsets, 32-bit little endian. */
const HEADER = 64;

/** How many bytes of `b` from `from` the PackBits stream uses to produce `want` bytes (the decoder's walk); throws when it runs out first. */
function packBitsLength(b: Uint8Array, from: number, end: number, want: number, segment: number): number {
  const { written, read } = unpackBits(b, from, end, undefined, 0, want);
  if (written < want) throw new PixelMarkerError(`RLE segment ${segment} ends after ${written} of its ${want} bytes`);
  if (read > end - from) throw new PixelMarkerError(`RLE segment ${segment} runs past its end`);
  return read;
}

/**
 * One RLE frame with the bytes after each segment's data removed unless they are all zero
 * (padding); `segmentBytes` is rows × columns, what each segment decodes to.
 */
export function stripRle(b: Uint8Array, segmentBytes: number): StripResult {
  if (b.length < HEADER) throw new PixelMarkerError(`RLE frame of ${b.length} bytes is shorter than its 64-byte header`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = dv.getUint32(0, true);
  if (count < 1 || count > 15) throw new PixelMarkerError(`RLE header gives ${count} segments (1 to 15 allowed)`);
  const starts = Array.from({ length: count }, (_, i) => dv.getUint32(4 + 4 * i, true));
  const removed: RemovedMarker[] = [];
  const kept: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const s = starts[i]!;
    const end = i + 1 < count ? starts[i + 1]! : b.length;
    if (s < HEADER || end < s || end > b.length) throw new PixelMarkerError(`RLE segment ${i + 1} at byte ${s} lies outside the frame`);
    const used = packBitsLength(b, s, end, segmentBytes, i + 1);
    // Zeros after a segment are padding (to even length, or an encoder's alignment): no text, kept.
    let zeros = true;
    for (let q = s + used; q < end && zeros; q++) zeros = b[q] === 0;
    kept.push([s, zeros ? end : s + used]);
    if (!zeros) removed.push({ marker: 'RLE bytes after a segment', bytes: end - s - used });
  }
  if (removed.length === 0) return { bytes: b, removed };
  const size = HEADER + kept.reduce((n, [s, e]) => n + e - s, 0);
  const out = new Uint8Array(size + (size & 1));
  const ov = new DataView(out.buffer);
  ov.setUint32(0, count, true);
  let at = HEADER;
  kept.forEach(([s, e], i) => {
    ov.setUint32(4 + 4 * i, at, true);
    out.set(b.subarray(s, e), at);
    at += e - s;
  });
  return { bytes: out, removed };
}

import type { Element } from 'dicom-parser';
import { ScanError } from '../errors.js';
import type { PixelCodec } from './transfer-syntax.js';

/**
 * Splits encapsulated Pixel Data (PS3.5 A.4) into one compressed byte stream per frame.
 *
 * Order of evidence:
 * 1. a Basic Offset Table with one entry per frame whose entries land on fragment
 *    starts → frames are the fragment runs between entries;
 * 2. one frame → all fragments concatenated;
 * 3. as many fragments as frames → one fragment each;
 * 4. otherwise (empty BOT, frames split over several fragments, e.g. cornerstone's
 *    CT0012.fragmented_no_bot_jpeg_baseline.51) → a new frame starts at each fragment
 *    that begins with the codec's start marker (JPEG SOI FFD8, J2K SOC FF4F FF51 or a
 *    JP2 signature box). RLE frames are always exactly one fragment.
 * Anything else, or a frame count that does not come out as NumberOfFrames, is refused.
 */
export function splitEncapsulatedFrames(
  pixelElement: Element,
  byteArray: Uint8Array,
  numberOfFrames: number,
  codec: PixelCodec,
  file: string,
): Uint8Array[] {
  const fragments = pixelElement.fragments ?? [];
  const corrupt = (code: string, why: string): ScanError => new ScanError(code, why, { kind: 'input', file });
  if (fragments.length === 0) throw corrupt('TRUNCATED_PIXEL_DATA', 'encapsulated pixel data holds no fragments');
  for (const f of fragments) {
    if (f.position < 0 || f.position + f.length > byteArray.length) {
      throw corrupt('TRUNCATED_PIXEL_DATA', 'an encapsulated pixel data fragment runs past the end of the file');
    }
  }
  const view = (i: number): Uint8Array => byteArray.subarray(fragments[i]!.position, fragments[i]!.position + fragments[i]!.length);
  const join = (from: number, to: number): Uint8Array => {
    if (to - from === 1) return view(from);
    let n = 0;
    for (let i = from; i < to; i++) n += fragments[i]!.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (let i = from; i < to; i++) {
      out.set(view(i), o);
      o += fragments[i]!.length;
    }
    return out;
  };

  const bot = pixelElement.basicOffsetTable ?? [];
  if (bot.length === numberOfFrames && bot.length > 0) {
    const startIndex = bot.map((off) => fragments.findIndex((f) => f.offset === off));
    const ok = bot[0] === 0 && startIndex.every((s, i) => s >= 0 && (i === 0 || s > startIndex[i - 1]!));
    if (ok) return startIndex.map((s, i) => join(s, i + 1 < startIndex.length ? startIndex[i + 1]! : fragments.length));
    // An inconsistent BOT is ignored: the fragments themselves are the evidence.
  }
  if (numberOfFrames === 1) return [join(0, fragments.length)];
  if (fragments.length === numberOfFrames) return fragments.map((_, i) => view(i));
  if (fragments.length < numberOfFrames) {
    throw corrupt('TRUNCATED_PIXEL_DATA', `encapsulated pixel data has ${fragments.length} fragments for ${numberOfFrames} frames`);
  }
  if (codec === 'rle') {
    throw corrupt('MALFORMED_DICOM', `RLE pixel data has ${fragments.length} fragments for ${numberOfFrames} frames (one per frame is required)`);
  }
  const starts: number[] = [];
  for (let i = 0; i < fragments.length; i++) if (startsFrame(view(i), codec)) starts.push(i);
  if (starts.length !== numberOfFrames || starts[0] !== 0) {
    throw corrupt(
      'MALFORMED_DICOM',
      `cannot split ${fragments.length} fragments into ${numberOfFrames} frames (empty offset table; ${starts.length} fragments start a ${codec} stream)`,
    );
  }
  return starts.map((s, i) => join(s, i + 1 < starts.length ? starts[i + 1]! : fragments.length));
}

function startsFrame(b: Uint8Array, codec: PixelCodec): boolean {
  if (b.length < 4) return false;
  if (codec === 'jpeg2000' || codec === 'htj2k') {
    if (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51) return true;
    return b.length >= 8 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c && b[4] === 0x6a && b[5] === 0x50;
  }
  return b[0] === 0xff && b[1] === 0xd8;
}

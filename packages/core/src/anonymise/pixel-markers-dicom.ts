/**
 * The anonymiser's hook for text inside encapsulated pixel data (issue 13, class 5): splits the
 * item stream of (7FE0,0010) into frames, strips each frame with stripTextMarkers (RLE: stripRle,
 * the bytes after each segment's data), and, only when
 * something was removed, rebuilds the fragments and the offset tables. A frame that lost bytes is
 * written as one fragment (padded to even length with 00, as PS3.5 A.4 asks); untouched frames
 * keep their fragments byte for byte. The Basic Offset Table is rewritten when it had entries, and
 * an Extended Offset Table (7FE0,0001/0002) is rewritten with it.
 */
import { inputError } from '../errors.js';
import type { Finding } from '../pipeline/record.js';
import { asciiValue, type RawElement } from './dicom-codec.js';
import { codeStreamKind, PixelMarkerError, stripTextMarkers, type RemovedMarker } from './pixel-markers.js';
import { RLE_TS, stripRle } from './pixel-markers-rle.js';
import { joinBytes } from '../formats/join-bytes.js';

const ITEM = 0xfffee000;
const SEQ_DELIM = 0xfffee0dd;
const TAG = { PixelData: 0x7fe00010, NumberOfFrames: 0x00280008, Rows: 0x00280010, Columns: 0x00280011, ExtendedOffsetTable: 0x7fe00001, ExtendedOffsetTableLengths: 0x7fe00002 };

interface Fragment {
  /** Offset of its item tag from the first fragment's item tag (what offset tables count). */
  offset: number;
  /** The whole item, tag and length included. */
  item: Uint8Array;
  value: Uint8Array;
}

export interface EncapsulatedStrip {
  /** The new item stream (the input itself when nothing was removed). */
  encapsulated: Uint8Array;
  removed: RemovedMarker[];
  framesChanged: number;
  /** New Extended Offset Table values (little endian), when one was given and frames changed. */
  extendedOffsets?: { offsets: Uint8Array; lengths: Uint8Array };
}

function readItems(enc: Uint8Array): { bot: Uint8Array; fragments: Fragment[] } {
  const dv = new DataView(enc.buffer, enc.byteOffset, enc.byteLength);
  const items: Array<{ item: Uint8Array; value: Uint8Array; at: number }> = [];
  let pos = 0;
  for (;;) {
    if (pos + 8 > enc.length) throw new PixelMarkerError('encapsulated pixel data without sequence delimiter');
    const tag = ((dv.getUint16(pos, true) << 16) | dv.getUint16(pos + 2, true)) >>> 0;
    const len = dv.getUint32(pos + 4, true);
    if (tag === SEQ_DELIM) break;
    if (tag !== ITEM || pos + 8 + len > enc.length) throw new PixelMarkerError(`malformed pixel data item at byte ${pos}`);
    items.push({ item: enc.subarray(pos, pos + 8 + len), value: enc.subarray(pos + 8, pos + 8 + len), at: pos });
    pos += 8 + len;
  }
  const first = items.shift();
  if (!first) throw new PixelMarkerError('encapsulated pixel data without a Basic Offset Table item');
  const base = items[0]?.at ?? 0;
  return { bot: first.value, fragments: items.map((i) => ({ offset: i.at - base, item: i.item, value: i.value })) };
}

function startsFrame(b: Uint8Array, kind: string): boolean {
  if (b.length < 4) return false;
  if (kind === 'jpeg2000') return (b[0] === 0xff && b[1] === 0x4f) || (b[4] === 0x6a && b[5] === 0x50 && b[6] === 0x20 && b[7] === 0x20);
  return b[0] === 0xff && b[1] === 0xd8;
}

/** Fragment index ranges [start, end) of each frame, by the same order of evidence as the decoder. */
function frameRanges(bot: number[], fragments: Fragment[], frames: number, kind: string): Array<[number, number]> {
  const runs = (starts: number[]): Array<[number, number]> =>
    starts.map((s, i) => [s, i + 1 < starts.length ? starts[i + 1]! : fragments.length]);
  if (bot.length === frames && frames > 0) {
    const idx = bot.map((o) => fragments.findIndex((f) => f.offset === o));
    if (bot[0] === 0 && idx.every((s, i) => s >= 0 && (i === 0 || s > idx[i - 1]!))) return runs(idx);
  }
  if (frames === 1) return [[0, fragments.length]];
  if (fragments.length === frames) return fragments.map((_, i) => [i, i + 1]);
  const starts: number[] = [];
  fragments.forEach((f, i) => startsFrame(f.value, kind) && starts.push(i));
  if (starts.length !== frames || starts[0] !== 0) {
    throw new PixelMarkerError(`cannot split ${fragments.length} fragments into ${frames} frames (${starts.length} start a code stream)`);
  }
  return runs(starts);
}

function join(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : joinBytes(parts);
}

function itemHeader(tag: number, length: number): Uint8Array {
  const h = new Uint8Array(8);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, tag >>> 16, true);
  dv.setUint16(2, tag & 0xffff, true);
  dv.setUint32(4, length, true);
  return h;
}

/**
 * Strips text marker segments from every frame of an encapsulated item stream.
 * Throws PixelMarkerError when the frames or their code streams cannot be followed.
 */
export function stripEncapsulatedText(
  encapsulated: Uint8Array,
  transferSyntax: string,
  numberOfFrames: number,
  extendedOffsets?: Uint8Array,
  rleSegmentBytes?: number,
): EncapsulatedStrip {
  const kind = codeStreamKind(transferSyntax);
  if (kind === undefined) {
    throw new PixelMarkerError(`transfer syntax ${transferSyntax} holds a code stream we cannot check for embedded text`);
  }
  // RLE has no markers, but bytes after a segment's data (pixel-markers-rle.ts); it needs rows × columns to find them.
  const rle = transferSyntax === RLE_TS && rleSegmentBytes !== undefined && rleSegmentBytes > 0;
  if (kind === 'none' && !rle) return { encapsulated, removed: [], framesChanged: 0 };
  const { bot: botBytes, fragments } = readItems(encapsulated);
  if (fragments.length === 0) throw new PixelMarkerError('encapsulated pixel data holds no fragments');
  if (botBytes.length % 4) throw new PixelMarkerError(`Basic Offset Table of ${botBytes.length} bytes (not a multiple of 4)`);
  const botDv = new DataView(botBytes.buffer, botBytes.byteOffset, botBytes.byteLength);
  let bot = Array.from({ length: botBytes.length / 4 }, (_, i) => botDv.getUint32(i * 4, true));
  if (extendedOffsets && bot.length === 0) {
    const e = new DataView(extendedOffsets.buffer, extendedOffsets.byteOffset, extendedOffsets.byteLength);
    bot = Array.from({ length: Math.floor(extendedOffsets.length / 8) }, (_, i) => Number(e.getBigUint64(i * 8, true)));
  }
  const ranges = frameRanges(bot, fragments, numberOfFrames, kind);
  const removed: RemovedMarker[] = [];
  const frames = ranges.map(([s, e], i) => {
    let r;
    try {
      const frame = join(fragments.slice(s, e).map((f) => f.value));
      r = rle ? stripRle(frame, rleSegmentBytes!) : stripTextMarkers(frame, transferSyntax);
    } catch (err) {
      if (err instanceof PixelMarkerError) throw new PixelMarkerError(`frame ${i + 1}: ${err.message}`);
      throw err;
    }
    removed.push(...r.removed);
    return r.removed.length ? r.bytes : undefined;
  });
  const framesChanged = frames.filter((f) => f).length;
  if (framesChanged === 0) return { encapsulated, removed, framesChanged };

  const body: Uint8Array[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  let size = 0;
  ranges.forEach(([s, e], i) => {
    offsets.push(size);
    const stripped = frames[i];
    if (stripped) {
      const pad = stripped.length & 1;
      const value = pad ? join([stripped, new Uint8Array(1)]) : stripped;
      body.push(itemHeader(ITEM, value.length), value);
      size += 8 + value.length;
      lengths.push(value.length);
    } else {
      for (const f of fragments.slice(s, e)) {
        body.push(f.item);
        size += f.item.length;
      }
      lengths.push(fragments.slice(s, e).reduce((n, f) => n + f.value.length, 0));
    }
  });
  // PS3.5 A.4: the BOT is either empty or has one entry per frame; keep whichever the source had.
  const newBot = new Uint8Array(botBytes.length ? offsets.length * 4 : 0);
  const nb = new DataView(newBot.buffer);
  if (botBytes.length) offsets.forEach((o, i) => nb.setUint32(i * 4, o, true));
  const out = join([itemHeader(ITEM, newBot.length), newBot, ...body, itemHeader(SEQ_DELIM, 0)]);
  const result: EncapsulatedStrip = { encapsulated: out, removed, framesChanged };
  if (extendedOffsets) {
    const o = new Uint8Array(offsets.length * 8);
    const l = new Uint8Array(lengths.length * 8);
    offsets.forEach((v, i) => new DataView(o.buffer).setBigUint64(i * 8, BigInt(v), true));
    lengths.forEach((v, i) => new DataView(l.buffer).setBigUint64(i * 8, BigInt(v), true));
    result.extendedOffsets = { offsets: o, lengths: l };
  }
  return result;
}

function describe(removed: RemovedMarker[]): string {
  const by = new Map<string, number>();
  for (const r of removed) by.set(r.marker, (by.get(r.marker) ?? 0) + 1);
  const bytes = removed.reduce((n, r) => n + r.bytes, 0);
  return `${[...by].map(([m, n]) => `${m} ×${n}`).join(', ')}; ${bytes} bytes`;
}

/**
 * The hook anonymise.ts calls on the top-level elements it writes: returns them with text marker
 * segments removed from encapsulated pixel data (a note and a finding say what was removed), or
 * throws ANON_PIXEL_DATA_UNPARSEABLE naming the file when the pixel data cannot be checked.
 */
export function stripPixelDataText(
  elements: RawElement[],
  transferSyntax: string,
  ctx: { file: string; outName: string; notes: string[]; findings: Finding[] },
): RawElement[] {
  const pixel = elements.find((e) => e.tag === TAG.PixelData);
  if (!pixel?.encapsulated) return elements;
  const frames = parseInt(asciiValue(elements.find((e) => e.tag === TAG.NumberOfFrames)?.value), 10);
  const eot = elements.find((e) => e.tag === TAG.ExtendedOffsetTable)?.value;
  // Rows and Columns (US; RLE files are little endian); 0 where absent
  const us = (tag: number): number => {
    const v = elements.find((e) => e.tag === tag)?.value;
    return v && v.length >= 2 ? v[0]! | (v[1]! << 8) : 0;
  };
  let r: EncapsulatedStrip;
  try {
    const n = Number.isFinite(frames) && frames > 0 ? frames : 1;
    r = stripEncapsulatedText(pixel.encapsulated, transferSyntax, n, eot?.length ? eot : undefined, us(TAG.Rows) * us(TAG.Columns));
  } catch (e) {
    if (!(e instanceof PixelMarkerError)) throw e;
    const why = `its compressed pixel data cannot be checked for embedded text (${e.message}): not anonymised`;
    throw inputError('ANON_PIXEL_DATA_UNPARSEABLE', why, ctx.file, e);
  }
  if (r.framesChanged === 0) return elements;
  const what = describe(r.removed);
  ctx.notes.push(
    `removed text-carrying marker segments from the compressed pixel data of ${r.framesChanged} frame(s): ${what}; image data unchanged`,
  );
  ctx.findings.push({
    code: 'PIXEL_TEXT_MARKERS_REMOVED',
    severity: 'warn',
    message: `the compressed pixel data carried text segments (${what}), which may name the patient: removed, image data unchanged`,
    files: [ctx.outName],
  });
  return elements.map((e) => {
    if (e === pixel) return { ...e, encapsulated: r.encapsulated };
    if (r.extendedOffsets && e.tag === TAG.ExtendedOffsetTable) return { ...e, value: r.extendedOffsets.offsets };
    if (r.extendedOffsets && e.tag === TAG.ExtendedOffsetTableLengths) return { ...e, value: r.extendedOffsets.lengths };
    return e;
  });
}

import { ScanError, inputError } from '../errors.js';
import { decodeJpegWithDcmtk } from './codecs/dcmtk.js';
import { decodeJpegLossless } from './codecs/jpeg-lossless.js';
import { decodeRleFrame } from './codecs/rle.js';
import { decodeWithWasm } from './codecs/wasm.js';
import type { CodecFrame } from './codecs/wasm.js';
import { splitEncapsulatedFrames } from './decode-encapsulated.js';
import { applyModality, codecToStored, modalityInto, nativeToStored } from './decode-values.js';
import type { DecodeStats, StackArray, StoredFrame, StoredLayout } from './decode-values.js';
import { nativeInt16Into } from './decode-native.js';
import { parseDicomDataset, PIXEL_DATA_TAG, recallParsed } from './parse-dataset.js';
import type { ParsedDataset } from './parse-dataset.js';
import { transferSyntaxInfo } from './transfer-syntax.js';
import type { TransferSyntaxInfo } from './transfer-syntax.js';
import type { DicomInstance } from './types.js';

export type { DecodeStats, StoredFrame } from './decode-values.js';
export { CT_PADDING_HU } from './decode-values.js';
export { setCodecWasmLocator } from './codecs/wasm.js';
export { setDcmtkWasmUrl } from './codecs/dcmtk.js';

/**
 * Pixel decoding of one file (the caller streams file by file: nothing is kept
 * between calls except the lazily loaded codecs).
 *
 * `decodeStoredFrames` gives the stored values (after BitsStored/HighBit masking and
 * sign extension, before any rescale) — what lossless codecs must reproduce bit for
 * bit. `decodeFrames` gives modality values (HU for CT): see applyModality in
 * decode-values.ts for rescale, Modality LUT and padding rules.
 *
 * Errors are ScanErrors naming the file: UNSUPPORTED_TRANSFER_SYNTAX (with UID and
 * name), UNSUPPORTED_PIXEL_FORMAT, NO_PIXEL_DATA, TRUNCATED_PIXEL_DATA,
 * CORRUPT_PIXEL_DATA, MALFORMED_DICOM.
 */

/** Frame layout checked against the header before any byte is read. */
interface Layout {
  rows: number;
  columns: number;
  frames: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  samplesPerPixel: number;
  photometric: string;
}

function layoutOf(inst: DicomInstance): Layout {
  const file = inst.file;
  const rows = inst.rows ?? 0;
  const columns = inst.columns ?? 0;
  const ba = inst.bitsAllocated ?? 0;
  const spp = inst.samplesPerPixel ?? 1;
  if (rows < 1 || columns < 1) throw inputError('MALFORMED_DICOM', `image without valid Rows/Columns (${inst.rows}×${inst.columns})`, file);
  if (ba !== 1 && ba !== 8 && ba !== 16 && ba !== 32) {
    throw inputError('UNSUPPORTED_PIXEL_FORMAT', `BitsAllocated ${inst.bitsAllocated ?? 'missing'} is not supported (1, 8, 16 or 32)`, file);
  }
  if (spp !== 1) {
    throw inputError('UNSUPPORTED_PIXEL_FORMAT', `SamplesPerPixel ${spp} (${inst.photometricInterpretation ?? 'colour'}): only greyscale images can form a CT volume`, file);
  }
  if (rows * columns * Math.max(1, inst.numberOfFrames) > 2 ** 31) {
    throw inputError('UNSUPPORTED_PIXEL_FORMAT', `image too large (${rows}×${columns}×${inst.numberOfFrames})`, file);
  }
  const bs = inst.bitsStored ?? ba;
  const hb = inst.highBit ?? bs - 1;
  if (bs < 1 || bs > ba || hb < bs - 1 || hb >= ba) {
    throw inputError('MALFORMED_DICOM', `inconsistent BitsAllocated ${ba} / BitsStored ${bs} / HighBit ${hb}`, file);
  }
  return {
    rows,
    columns,
    frames: inst.numberOfFrames,
    bitsAllocated: ba,
    bitsStored: bs,
    highBit: hb,
    signed: inst.pixelRepresentation === 1,
    samplesPerPixel: spp,
    photometric: inst.photometricInterpretation ?? 'MONOCHROME2',
  };
}

function supportedSyntax(inst: DicomInstance): TransferSyntaxInfo {
  const ts = transferSyntaxInfo(inst.transferSyntaxUid);
  if (!ts.supported) {
    throw inputError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `transfer syntax ${ts.uid} (${ts.name}) is not supported${ts.reason ? `: ${ts.reason}` : ''}`,
      inst.file,
    );
  }
  return ts;
}

function parsedFor(inst: DicomInstance, bytes: Uint8Array): ParsedDataset {
  const cached = recallParsed(bytes);
  if (cached) return cached;
  const parsed = parseDicomDataset(bytes, inst.file);
  if (!parsed) throw inputError('NOT_DICOM', 'the bytes given for decoding are not DICOM', inst.file);
  return parsed;
}

/**
 * Native (uncompressed) pixel data: checks the length once, then hands out frame f's
 * container values (byte order fixed) on demand, so only one frame is copied at a time.
 */
function nativeFrameReader(parsed: ParsedDataset, lay: Layout, file: string): (f: number) => Uint8Array | Uint16Array | Uint32Array {
  const ds = parsed.dataSet;
  const el = ds.elements[PIXEL_DATA_TAG]!;
  const buf = ds.byteArray as Uint8Array;
  if (el.encapsulatedPixelData || el.hadUndefinedLength) {
    throw inputError('MALFORMED_DICOM', 'pixel data is encapsulated but the transfer syntax is uncompressed', file);
  }
  const pixels = lay.rows * lay.columns * lay.samplesPerPixel;
  if (lay.bitsAllocated === 1) {
    const needBits = pixels * lay.frames;
    if (el.length * 8 < needBits) throw truncated(file, Math.ceil(needBits / 8), el.length);
    return (f) => {
      const frame = new Uint8Array(pixels);
      const bit0 = f * pixels; // frames are bit-packed back to back (PS3.5 8.1.1)
      for (let i = 0; i < pixels; i++) {
        const b = bit0 + i;
        frame[i] = (buf[el.dataOffset + (b >>> 3)]! >>> (b & 7)) & 1;
      }
      return frame;
    };
  }
  const bpp = lay.bitsAllocated / 8;
  const frameBytes = pixels * bpp;
  if (el.length < frameBytes * lay.frames) throw truncated(file, frameBytes * lay.frames, el.length);
  const bigEndian = transferSyntaxInfo(parsed.transferSyntaxUid).bigEndian;
  return (f) => {
    const start = el.dataOffset + f * frameBytes;
    // Little-endian data at an aligned offset is read in place (the readers only read it);
    // otherwise an aligned copy, byte-swapped when big-endian.
    if (bpp === 1) return buf.subarray(start, start + frameBytes);
    if (!bigEndian && (buf.byteOffset + start) % bpp === 0) {
      return bpp === 2 ? new Uint16Array(buf.buffer, buf.byteOffset + start, pixels) : new Uint32Array(buf.buffer, buf.byteOffset + start, pixels);
    }
    const bytes = buf.slice(start, start + frameBytes);
    if (bigEndian) {
      for (let i = 0; i < frameBytes; i += bpp) {
        for (let a = i, b = i + bpp - 1; a < b; a++, b--) {
          const t = bytes[a]!;
          bytes[a] = bytes[b]!;
          bytes[b] = t;
        }
      }
    }
    return bpp === 2 ? new Uint16Array(bytes.buffer, 0, pixels) : new Uint32Array(bytes.buffer, 0, pixels);
  };
}

function truncated(file: string, need: number, have: number): ScanError {
  return inputError('TRUNCATED_PIXEL_DATA', `pixel data is truncated: ${need} bytes needed, ${have} present`, file);
}

/** JPEG frame header precision (SOFn), to route 8-bit streams to libjpeg-turbo. */
function jpegPrecision(b: Uint8Array): number | undefined {
  let p = 2;
  while (p + 4 < b.length) {
    if (b[p] !== 0xff) return undefined;
    const m = b[p + 1]!;
    if (m === 0xff) {
      p++;
      continue;
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return b[p + 4];
    if (m === 0xda) return undefined;
    p += 2 + ((b[p + 2]! << 8) | b[p + 3]!);
  }
  return undefined;
}

async function decodeCompressedFrame(ts: TransferSyntaxInfo, encoded: Uint8Array, lay: Layout, file: string): Promise<CodecFrame> {
  switch (ts.codec) {
    case 'rle':
      return decodeRleFrame(encoded, lay.rows, lay.columns, lay.samplesPerPixel, lay.bitsAllocated, file);
    case 'jpeg-baseline':
    case 'jpeg-extended': {
      const precision = jpegPrecision(encoded);
      if (precision === 8) return decodeWithWasm('libjpeg-turbo', encoded, file);
      return decodeJpegWithDcmtk(
        encoded,
        {
          rows: lay.rows,
          columns: lay.columns,
          bitsAllocated: lay.bitsAllocated,
          bitsStored: lay.bitsStored,
          samplesPerPixel: lay.samplesPerPixel,
          pixelRepresentation: lay.signed ? 1 : 0,
          photometricInterpretation: lay.photometric,
        },
        file,
      );
    }
    case 'jpeg-lossless':
      return decodeJpegLossless(encoded, file);
    case 'jpeg-ls':
      return decodeWithWasm('charls', encoded, file);
    case 'jpeg2000':
      return decodeWithWasm('openjpeg', encoded, file);
    case 'htj2k':
      return decodeWithWasm('openjph', encoded, file);
    default:
      throw inputError('UNSUPPORTED_TRANSFER_SYNTAX', `transfer syntax ${ts.uid} (${ts.name}) has no decoder`, file);
  }
}

/**
 * A native frame's container values taken over directly (decodeFramesInto's one-pass path):
 * NATIVE_NOT_TAKEN lets forEachStoredFrame hand the frame's stored values to `each` instead.
 */
type NativeFrameFn = (src: Uint8Array | Uint16Array | Uint32Array, layout: StoredLayout, index: number) => boolean | typeof NATIVE_NOT_TAKEN;
const NATIVE_NOT_TAKEN = 'not taken';

/** Decodes frame after frame, handing each frame's stored values to `each`; `each` returning false stops. */
async function forEachStoredFrame(
  inst: DicomInstance,
  bytes: Uint8Array,
  stats: DecodeStats | undefined,
  each: (frame: StoredFrame, index: number) => boolean | void,
  native?: NativeFrameFn,
): Promise<void> {
  const file = inst.file;
  if (!inst.hasPixelData) throw inputError('NO_PIXEL_DATA', `no pixel data (${inst.modality ?? 'unknown'} object)`, file);
  const ts = supportedSyntax(inst);
  const lay = layoutOf(inst);
  const parsed = parsedFor(inst, bytes);
  const el = parsed.dataSet.elements[PIXEL_DATA_TAG];
  if (!el) throw inputError('NO_PIXEL_DATA', 'no pixel data element', file);

  if (!ts.encapsulated) {
    const layout = lay.bitsAllocated === 1
      ? { bitsStored: 1, shift: 0, signed: false }
      : { bitsStored: lay.bitsStored, shift: lay.highBit + 1 - lay.bitsStored, signed: lay.signed };
    const read = nativeFrameReader(parsed, lay, file);
    for (let f = 0; f < lay.frames; f++) {
      const src = read(f);
      const taken = native ? native(src, layout, f) : NATIVE_NOT_TAKEN;
      if (taken === false) return;
      if (taken === NATIVE_NOT_TAKEN && each(nativeToStored(src, layout), f) === false) return;
    }
    return;
  }
  if (!el.encapsulatedPixelData) {
    throw inputError('MALFORMED_DICOM', `pixel data is not encapsulated although the transfer syntax is ${ts.name}`, file);
  }
  const encoded = splitEncapsulatedFrames(el, parsed.dataSet.byteArray as Uint8Array, lay.frames, ts.codec!, file);
  for (let f = 0; f < encoded.length; f++) {
    const fr = await decodeCompressedFrame(ts, encoded[f]!, lay, file);
    if (fr.width !== lay.columns || fr.height !== lay.rows || fr.components !== lay.samplesPerPixel) {
      throw inputError(
        'CORRUPT_PIXEL_DATA',
        `compressed frame is ${fr.width}×${fr.height}×${fr.components} but the header says ${lay.columns}×${lay.rows}×${lay.samplesPerPixel}`,
        file,
      );
    }
    if (fr.nearLossless !== undefined && stats) stats.nearLossless = Math.max(stats.nearLossless ?? 0, fr.nearLossless);
    // Signed DICOM data in an unsigned stream is two's complement in the stream's
    // precision; a stream claiming more bits than BitsStored is trusted over the header.
    const precision = Math.max(lay.bitsStored, Math.min(fr.bitsPerSample, lay.bitsAllocated));
    if (each(codecToStored(fr.samples, fr.signed, lay.signed, precision), f) === false) return;
  }
}

/**
 * Stored pixel values of every frame (Int32Array; Uint32Array only for unsigned
 * 32-bit data), row-major, before rescale. Throws ScanError naming the file.
 */
export async function decodeStoredFrames(inst: DicomInstance, bytes: Uint8Array, stats?: DecodeStats): Promise<StoredFrame[]> {
  const out: StoredFrame[] = [];
  try {
    await forEachStoredFrame(inst, bytes, stats, (frame) => {
      out.push(frame);
    });
  } catch (e) {
    throw asScanError(e, inst.file);
  }
  return out;
}

/**
 * Modality values (HU for CT) of every frame, row-major: rescale per frame, Modality
 * LUT, padding → see applyModality. Pass `stats` to learn the padded-pixel count and
 * the value used for padding.
 */
export async function decodeFrames(inst: DicomInstance, bytes: Uint8Array, stats?: DecodeStats): Promise<Float32Array[]> {
  const st: DecodeStats = stats ?? newDecodeStats();
  const out: Float32Array[] = [];
  try {
    // Frame by frame: the stored (Int32) copy of a frame is dropped as soon as its
    // modality values exist, so a multi-frame file peaks near its Float32 output.
    await forEachStoredFrame(inst, bytes, st, (frame, i) => {
      out.push(applyModality(inst, frame, i, st));
    });
  } catch (e) {
    throw asScanError(e, inst.file);
  }
  st.frames += out.length;
  return out;
}

/**
 * decodeFrames straight into a slice stack: frame f's modality values go to `target` from
 * `slotOf(f) * plane` (frames with a negative slot, duplicates, are skipped), with no Float32
 * frame in between. ok = false: an Int16 target cannot hold a value (the caller widens the
 * stack and decodes the file again); min is the smallest value written.
 */
export async function decodeFramesInto(
  inst: DicomInstance,
  bytes: Uint8Array,
  target: StackArray,
  slotOf: (frame: number) => number,
  plane: number,
): Promise<{ ok: boolean; min: number }> {
  const st = newDecodeStats();
  let min = Infinity;
  let ok = true;
  const wrote = (m: number) => {
    if (Number.isNaN(m)) return (ok = false);
    if (m < min) min = m;
    return true;
  };
  const sizeCheck = (length: number, f: number) => {
    if (length !== plane) throw inputError('FRAME_SIZE', `frame ${f + 1} decoded to ${length} pixels, expected ${inst.rows}×${inst.columns}`, inst.file);
  };
  // 16-bit native pixels into an Int16 stack in one pass (nativeInt16Into), when it applies
  const native: NativeFrameFn | undefined = target instanceof Int16Array
    ? (src, layout, f) => {
        const k = slotOf(f);
        if (k < 0) return true;
        sizeCheck(src.length, f);
        const m = nativeInt16Into(inst, src, layout, f, st, target, k * plane);
        return m === undefined ? NATIVE_NOT_TAKEN : wrote(m);
      }
    : undefined;
  try {
    await forEachStoredFrame(inst, bytes, st, (frame, f) => {
      const k = slotOf(f);
      if (k < 0) return true;
      sizeCheck(frame.length, f);
      return wrote(modalityInto(inst, frame, f, st, target, k * plane));
    }, native);
  } catch (e) {
    throw asScanError(e, inst.file);
  }
  return { ok, min };
}

/** A fresh stats object for decodeFrames. */
export function newDecodeStats(): DecodeStats {
  return { frames: 0, paddedPixels: 0, transform: 'identity' };
}

function asScanError(e: unknown, file: string): ScanError {
  if (e instanceof ScanError) return e;
  // Anything else is our bug or a resource limit, not the user's: internal, but still
  // naming the file so the user knows which one to report.
  const msg = e instanceof Error ? e.message : String(e);
  return new ScanError('DECODE_FAILED', `pixel data could not be decoded (${msg})`, { kind: 'internal', file, cause: e });
}

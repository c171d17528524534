import type { DicomInstance } from './types.js';

/**
 * Pixel value arithmetic shared by every transfer syntax: container samples → stored
 * values (BitsStored/HighBit/PixelRepresentation), and stored values → modality values
 * (Rescale Slope/Intercept or Modality LUT, PixelPaddingValue).
 */

export type StoredFrame = Int32Array | Uint32Array;

export interface StoredLayout {
  bitsStored: number;
  /** Right shift that brings HighBit down to bit BitsStored−1 (native data only). */
  shift: number;
  signed: boolean;
}

/**
 * Native container values (unsigned, as read from the file) → stored values: shift,
 * mask to BitsStored (dropping overlay or garbage bits above HighBit) and, for
 * PixelRepresentation 1, sign-extend from bit BitsStored−1.
 */
export function nativeToStored(src: Uint8Array | Uint16Array | Uint32Array, layout: StoredLayout): StoredFrame {
  const n = src.length;
  const { bitsStored, shift, signed } = layout;
  if (bitsStored >= 32) {
    if (signed) return new Int32Array(src.buffer.slice(src.byteOffset, src.byteOffset + n * 4));
    return src instanceof Uint32Array ? src.slice() : Uint32Array.from(src);
  }
  const out = new Int32Array(n);
  const mask = bitsStored >= 31 ? 0x7fffffff : (1 << bitsStored) - 1;
  if (signed) {
    // (v << k) >> k sign-extends the low bitsStored bits in one step.
    const k = 32 - bitsStored;
    for (let i = 0; i < n; i++) out[i] = (((src[i]! >>> shift) & mask) << k) >> k;
  } else if (shift === 0 && mask >= 0xffff && !(src instanceof Uint32Array)) {
    for (let i = 0; i < n; i++) out[i] = src[i]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = (src[i]! >>> shift) & mask;
  }
  return out;
}

/**
 * Codec output → stored values. Codecs already strip the container, so no shift or
 * mask: a codec that reports signed samples is taken as is; unsigned samples of signed
 * DICOM data are two's complement in `precision` bits (JPEG lossless, JPEG-LS, JPEG
 * baseline/extended store them that way) and are sign-extended from that bit.
 */
export function codecToStored(
  src: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array,
  codecSigned: boolean,
  dicomSigned: boolean,
  precision: number,
): StoredFrame {
  const n = src.length;
  if (src instanceof Uint32Array && !dicomSigned) return src.slice();
  const out = new Int32Array(n);
  if (dicomSigned && !codecSigned && precision < 32) {
    const k = 32 - precision;
    for (let i = 0; i < n; i++) out[i] = (src[i]! << k) >> k;
  } else {
    for (let i = 0; i < n; i++) out[i] = src[i]!;
  }
  return out;
}

/** Statistics of one decodeFrames call (pass an object to receive them). */
export interface DecodeStats {
  frames: number;
  /** Pixels matched by PixelPaddingValue (and range limit), over all frames. */
  paddedPixels: number;
  /** The value padded pixels were given (rescaled units), when any were found. */
  paddingReplacement?: number;
  /** 'rescale' | 'modality-lut' | 'identity': how stored values became output values. */
  transform: 'rescale' | 'modality-lut' | 'identity';
  /** JPEG-LS NEAR parameter of the stream (0 lossless), when JPEG-LS. */
  nearLossless?: number;
}

/** CT padding → air. Documented in applyModality. */
export const CT_PADDING_HU = -1024;

/**
 * Stored values → output values for frame `frameIndex`.
 *
 * Rescale: per-frame slope/intercept (Enhanced CT Pixel Value Transformation) when
 * the frame has them, else the top-level ones, else identity. A Modality LUT is used
 * only when there is no rescale (PS3.3 C.11.1 makes them mutually exclusive); input
 * below/above the LUT range maps to the first/last entry.
 *
 * Padding (PixelPaddingValue, with PixelPaddingRangeLimit the inclusive range between
 * the two) is matched on stored values. Padded pixels lie outside the reconstructed
 * field of view, so they must not show as tissue nor stretch the value range:
 * - CT → −1024 HU (air): keeps histograms, thresholds and interpolation at the FOV
 *   edge sane (the raw padding, e.g. −2000 or −32768, would create fake edges);
 * - other modalities → the lowest non-padded output value of the frame (0 if none).
 * The count goes to `stats.paddedPixels`. JPEG-LS near-lossless: matched within ±NEAR.
 */
export function applyModality(inst: DicomInstance, stored: StoredFrame, frameIndex: number, stats: DecodeStats): Float32Array {
  const out = new Float32Array(stored.length);
  modalityInto(inst, stored, frameIndex, stats, out, 0);
  return out;
}

/** A slice stack: Int16 when the header promises int16 values (half the memory), else Float32. */
export type StackArray = Int16Array | Float32Array;

/**
 * applyModality written straight into `target` from `offset` (a frame's place in the slice
 * stack), without a Float32 frame in between: the same values, each rounded to float32 as
 * there. Returns the smallest value written, or NaN as soon as a value does not fit an Int16
 * target (fractional or out of range; the caller widens the stack and decodes again).
 */
export function modalityInto(inst: DicomInstance, stored: StoredFrame, frameIndex: number, stats: DecodeStats, target: StackArray, offset: number): number {
  const n = stored.length;
  const fr = inst.frames?.[frameIndex];
  const slope = fr?.rescaleSlope ?? inst.rescaleSlope;
  const intercept = fr?.rescaleIntercept ?? inst.rescaleIntercept;
  const lut = inst.modalityLut;
  const int16 = target instanceof Int16Array;
  // Padded pixels (matched on stored values) are skipped here and set below, so their raw
  // value never has to fit the target. Without a padding value the range is empty.
  // JPEG-LS near-lossless moves every value by at most NEAR (its stream parameter), so
  // padding is matched within ±NEAR there; other lossy codecs have no such bound and
  // are matched exactly (their padding ring keeps its decoded values).
  const pv = inst.pixelPaddingValue;
  const limit = inst.pixelPaddingRangeLimit ?? pv;
  const tol = stats.nearLossless ?? 0;
  const lo = pv === undefined ? Infinity : Math.min(pv, limit!) - tol;
  const hi = pv === undefined ? -Infinity : Math.max(pv, limit!) + tol;
  let padded = 0;
  let minKept = Infinity;
  if (slope !== undefined || intercept !== undefined || !lut) {
    const m = slope ?? 1;
    const b = intercept ?? 0;
    stats.transform = slope !== undefined || intercept !== undefined ? 'rescale' : 'identity';
    if (int16 && Number.isInteger(m) && Number.isInteger(b)) {
      // Integer rescale (CT's usual 1 / −1024): every value inside the int16 range is an exact
      // integer in float32 too, so only the range is checked (a third less time per slice).
      for (let i = 0; i < n; i++) {
        const s = stored[i]!;
        if (s >= lo && s <= hi) {
          padded++;
          continue;
        }
        const v = s * m + b;
        if (v < -32768 || v > 32767) return NaN;
        target[offset + i] = v;
        if (v < minKept) minKept = v;
      }
    } else for (let i = 0; i < n; i++) {
      const s = stored[i]!;
      if (s >= lo && s <= hi) {
        padded++;
        continue;
      }
      const v = Math.fround(s * m + b);
      if (int16 && ((v | 0) !== v || v < -32768 || v > 32767)) return NaN;
      target[offset + i] = v;
      if (v < minKept) minKept = v;
    }
  } else {
    stats.transform = 'modality-lut';
    const table = lut.data;
    const last = table.length - 1;
    const first = lut.firstMapped;
    for (let i = 0; i < n; i++) {
      const s = stored[i]!;
      if (s >= lo && s <= hi) {
        padded++;
        continue;
      }
      let j = s - first;
      if (j < 0) j = 0;
      else if (j > last) j = last;
      const v = table[j]!;
      if (int16 && v > 32767) return NaN;
      target[offset + i] = v;
      if (v < minKept) minKept = v;
    }
  }
  if (padded === 0) return minKept;
  const isCt = inst.modality === 'CT' || inst.rescaleType === 'HU';
  const replacement = isCt ? CT_PADDING_HU : Number.isFinite(minKept) ? minKept : 0;
  if (int16 && ((replacement | 0) !== replacement || replacement < -32768 || replacement > 32767)) return NaN;
  for (let i = 0; i < n; i++) {
    const s = stored[i]!;
    if (s >= lo && s <= hi) target[offset + i] = replacement;
  }
  stats.paddedPixels += padded;
  stats.paddingReplacement = replacement;
  return Math.min(minKept, replacement);
}

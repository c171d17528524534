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
  const n = stored.length;
  const out = new Float32Array(n);
  const fr = inst.frames?.[frameIndex];
  const slope = fr?.rescaleSlope ?? inst.rescaleSlope;
  const intercept = fr?.rescaleIntercept ?? inst.rescaleIntercept;
  const lut = inst.modalityLut;
  if (slope !== undefined || intercept !== undefined || !lut) {
    const m = slope ?? 1;
    const b = intercept ?? 0;
    stats.transform = slope !== undefined || intercept !== undefined ? 'rescale' : 'identity';
    if (m === 1) for (let i = 0; i < n; i++) out[i] = stored[i]! + b;
    else for (let i = 0; i < n; i++) out[i] = stored[i]! * m + b;
  } else {
    stats.transform = 'modality-lut';
    const table = lut.data;
    const last = table.length - 1;
    const first = lut.firstMapped;
    for (let i = 0; i < n; i++) {
      let j = stored[i]! - first;
      if (j < 0) j = 0;
      else if (j > last) j = last;
      out[i] = table[j]!;
    }
  }

  const pv = inst.pixelPaddingValue;
  if (pv === undefined) return out;
  const limit = inst.pixelPaddingRangeLimit ?? pv;
  // JPEG-LS near-lossless moves every value by at most NEAR (its stream parameter), so
  // padding is matched within ±NEAR there; other lossy codecs have no such bound and
  // are matched exactly (their padding ring keeps its decoded values).
  const tol = stats.nearLossless ?? 0;
  const lo = Math.min(pv, limit) - tol;
  const hi = Math.max(pv, limit) + tol;
  let padded = 0;
  let minKept = Infinity;
  for (let i = 0; i < n; i++) {
    const v = stored[i]!;
    if (v >= lo && v <= hi) padded++;
    else if (out[i]! < minKept) minKept = out[i]!;
  }
  if (padded === 0) return out;
  const isCt = inst.modality === 'CT' || inst.rescaleType === 'HU';
  const replacement = isCt ? CT_PADDING_HU : Number.isFinite(minKept) ? minKept : 0;
  for (let i = 0; i < n; i++) {
    const v = stored[i]!;
    if (v >= lo && v <= hi) out[i] = replacement;
  }
  stats.paddedPixels += padded;
  stats.paddingReplacement = replacement;
  return out;
}
